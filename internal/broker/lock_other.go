//go:build !unix

package broker

// lockDir does not lock outside Unix: two brokers on one data directory are the
// operator's mistake to avoid there.
func lockDir(string) (unlock func() error, err error) {
	return func() error { return nil }, nil
}
