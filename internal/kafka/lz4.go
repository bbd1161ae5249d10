package kafka

import (
	"encoding/binary"
	"math/bits"
)

// lz4Block compresses into LZ4's block format, the fast way of the reference
// implementation's default: a 4096-entry hash table of 4-byte sequences (16 KiB, in the
// first-level cache), a step that grows the longer no match is found, and a check for a
// match right after each one. pierrec/lz4 keeps 65536 entries and checks three
// positions per step: on Avro change records it compresses 2-3% smaller and a third
// slower (BenchmarkLZ4), and compression was the largest part of a snapshot's CPU.
//
// The block rules every LZ4 decoder relies on: the last 5 bytes are literals, and the
// last match starts at least 12 bytes before the end. Output is checked against
// pierrec/lz4's decoder (TestLZ4RoundTrip, FuzzLZ4) and, end to end, librdkafka's.
type lz4Block struct {
	table [1 << lz4HashLog]int32
}

const (
	lz4HashLog      = 12
	lz4MinMatch     = 4
	lz4LastLiterals = 5  // the block's last bytes are literals
	lz4MFLimit      = 12 // the last match starts at least this far from the end
	lz4SkipTrigger  = 6  // the step grows by one every 2^6 positions without a match
	lz4MaxOffset    = 65535
)

// lz4Bound is the largest block n bytes compress to (all literals).
func lz4Bound(n int) int { return n + n/255 + 16 }

func lz4Hash(v uint32) uint32 { return (v * 2654435761) >> (32 - lz4HashLog) }

func load32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }
func load64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i:]) }

// compress writes src as one LZ4 block into dst, which holds at least lz4Bound(len(src))
// bytes, and returns the block's size.
func (c *lz4Block) compress(src, dst []byte) int {
	n := len(src)
	di, anchor := 0, 0
	if n <= lz4MFLimit {
		return appendLiterals(dst, di, src[anchor:])
	}
	clear(c.table[:])
	mflimit, matchLimit := n-lz4MFLimit, n-lz4LastLiterals
	c.table[lz4Hash(load32(src, 0))] = 0
	si := 1
	next := lz4Hash(load32(src, si))
	for {
		// Find a match: the hash table's last position of the same 4 bytes.
		var cur, ref int
		for step, tries := 1, 1<<lz4SkipTrigger; ; {
			h := next
			cur = si
			si += step
			step = tries >> lz4SkipTrigger
			tries++
			if si > mflimit {
				return appendLiterals(dst, di, src[anchor:])
			}
			ref = int(c.table[h])
			next = lz4Hash(load32(src, si))
			c.table[h] = int32(cur)
			if cur-ref <= lz4MaxOffset && load32(src, ref) == load32(src, cur) {
				break
			}
		}
		for cur > anchor && ref > 0 && src[cur-1] == src[ref-1] {
			cur, ref = cur-1, ref-1
		}
		for {
			// Emit the literals since anchor and the match at cur (written out here:
			// as a function call per sequence it cost a sixth of the speed).
			end := matchEnd(src, cur+lz4MinMatch, ref+lz4MinMatch, matchLimit)
			lits, ml := cur-anchor, end-cur-lz4MinMatch
			tok := di
			di = appendLength(dst, di+1, lits)
			di += copy(dst[di:], src[anchor:cur])
			off := cur - ref
			dst[di], dst[di+1] = byte(off), byte(off>>8)
			di = appendLength(dst, di+2, ml)
			dst[tok] = byte(min(lits, 15)<<4 | min(ml, 15))
			anchor, si = end, end
			if si > mflimit {
				return appendLiterals(dst, di, src[anchor:])
			}
			c.table[lz4Hash(load32(src, si-2))] = int32(si - 2)
			// A match right here is taken at once.
			h := lz4Hash(load32(src, si))
			ref = int(c.table[h])
			c.table[h] = int32(si)
			if si-ref > lz4MaxOffset || load32(src, ref) != load32(src, si) {
				break
			}
			cur = si
		}
		si++
		next = lz4Hash(load32(src, si))
	}
}

// matchEnd extends a match of s against r up to limit and returns where it ends.
func matchEnd(src []byte, s, r, limit int) int {
	for s+8 <= limit {
		if x := load64(src, s) ^ load64(src, r); x != 0 {
			return s + bits.TrailingZeros64(x)>>3
		}
		s, r = s+8, r+8
	}
	for s < limit && src[s] == src[r] {
		s, r = s+1, r+1
	}
	return s
}

// appendLiterals writes the block's last sequence, literals only.
func appendLiterals(dst []byte, di int, lits []byte) int {
	tok := di
	di = appendLength(dst, di+1, len(lits))
	dst[tok] = byte(min(len(lits), 15) << 4)
	return di + copy(dst[di:], lits)
}

// appendLength writes the bytes of a length of 15 or more that follow its token's 15.
func appendLength(dst []byte, di, n int) int {
	if n < 15 {
		return di
	}
	for n -= 15; n >= 255; n -= 255 {
		dst[di] = 255
		di++
	}
	dst[di] = byte(n)
	return di + 1
}
