package mysql

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/dovetail-cdc/dovetail/internal/event"
)

// CheckpointEvery is how many changes of one transaction the source hands over between
// two positions inside it (Position.Skip).
const CheckpointEvery = 1000

// Timing of reconnects; variables so tests can shorten them.
var (
	backoffMin = 200 * time.Millisecond
	backoffMax = 30 * time.Second
	// livenessPeriod is the server heartbeat asked for when Config.HeartbeatInterval is
	// 0: without any, a silently dead connection would never be noticed.
	livenessPeriod = 30 * time.Second
)

// Errors callers may branch on.
var (
	// ErrPurged: the position to resume from is no longer in the server's binlog.
	ErrPurged = errors.New("the binlog position to resume from is no longer on the server (binlog purged, or another server)")
	// ErrBinlogConfig: the server's binlog cannot be captured (log_bin, binlog_format,
	// binlog_row_image).
	ErrBinlogConfig = errors.New("the server's binlog settings do not allow capture")
	// ErrSchema: a table's tracked shape and the binlog disagree, or a DDL statement of a
	// captured table could not be applied.
	ErrSchema = errors.New("schema tracking")
)

// Source streams row changes of one MySQL or MariaDB server from its binlog. Create it
// with New; Run it once; Ack and Ready may be called from any goroutine.
type Source struct {
	cfg  Config
	log  *slog.Logger
	conn conn

	start     *Position                // where the first session starts; nil: the server's position
	acked     atomic.Pointer[Position] // the last acknowledged position
	streaming atomic.Bool

	// Set by Run.
	info   serverInfo
	schema *schema
	parser *ddlParser
	// resume is where the next session starts: the end of the last transaction the
	// stream got through (all of its changes handed over, or none of them captured).
	resume Position
	// lastOut is when Handler last got a Commit or Heartbeat.
	lastOut time.Time
	// histPos is the position of the newest schema history record; statements at or
	// before it are in the history already.
	histPos *Position
}

// New checks cfg and returns a Source. It does not connect.
func New(cfg Config) (*Source, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c, _ := parseDSN(cfg.DSN)
	s := &Source{cfg: cfg, conn: c, start: cfg.Start,
		log: cfg.Logger.With("source", "mysql", "server_id", cfg.ServerID)}
	return s, nil
}

// ServerID returns the replica id the source registers with (configured or default).
func (s *Source) ServerID() uint32 { return s.cfg.ServerID }

// Resume makes Run start after the position whose text (Position.MarshalText) is given,
// as the pipeline stored it. Call it before Run.
func (s *Source) Resume(text []byte) error {
	p, err := ParsePosition(string(text))
	if err != nil {
		return fmt.Errorf("mysql source: %w", err)
	}
	s.start = &p
	return nil
}

// UseHistory makes the source keep its schema history in h (Config.History). Call it
// before Run.
func (s *Source) UseHistory(h History) { s.cfg.History = h }

// Ready reports whether a binlog session is streaming: from the moment the server
// accepted the binlog dump request until that session ends. Safe from any goroutine.
func (s *Source) Ready() bool { return s.streaming.Load() }

// Ack records that everything up to pos is durable downstream. The binlog keeps no
// reader positions, so nothing is sent to the server: the pipeline stores pos and hands
// it back through Resume. pos must be a Position this source handed out.
func (s *Source) Ack(pos event.Position) {
	switch p := pos.(type) {
	case Position:
		s.acked.Store(&p)
	case *Position:
		if p != nil {
			q := *p
			s.acked.Store(&q)
		}
	default:
		s.log.Error("ack with a foreign position ignored", "position", fmt.Sprint(pos))
	}
}

// Acked returns the last acknowledged position.
func (s *Source) Acked() (Position, bool) {
	if p := s.acked.Load(); p != nil {
		return *p, true
	}
	return Position{}, false
}

// fatalError marks errors that retrying cannot fix.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatal(err error) error { return &fatalError{err} }

// isFatal reports whether err ends Run rather than causing a reconnect.
func isFatal(err error) bool {
	var f *fatalError
	if errors.As(err, &f) {
		return true
	}
	var me *gmysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case gmysql.ER_ACCESS_DENIED_ERROR, gmysql.ER_DBACCESS_DENIED_ERROR,
			gmysql.ER_SPECIFIC_ACCESS_DENIED_ERROR, gmysql.ER_TABLEACCESS_DENIED_ERROR,
			gmysql.ER_MASTER_FATAL_ERROR_READING_BINLOG:
			return true
		}
	}
	return false
}

// Run reads the server's settings and the captured tables' schema, then streams changes
// to h until ctx is done (it then returns nil) or a fatal error occurs. It starts at
// Config.Start (or Resume's position), else at the server's current position. Lost
// connections are retried with exponential backoff, resuming after the last transaction
// the stream got through; the changes of a transaction cut by the loss are handed over
// again. Fatal errors (authentication, privileges, binlog settings, a purged position,
// undecodable values or DDL of captured tables, errors of h) are returned at once.
func (s *Source) Run(ctx context.Context, h event.Handler) error {
	s.parser = newDDLParser()
	// A server that cannot be reached or read at the start is a configuration problem
	// (wrong host, port, password, settings) more often than an outage: say so at once,
	// as Debezium does. Later losses of the connection are retried.
	if err := s.prepare(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("mysql source %s: %w", s.cfg.Name, err)
	}
	first := true
	backoff := backoffMin
	for {
		started := time.Now()
		err := s.session(ctx, h, first)
		first = false
		if ctx.Err() != nil {
			return nil
		}
		if isFatal(err) {
			return fmt.Errorf("mysql source %s: %w", s.cfg.Name, err)
		}
		if time.Since(started) > backoffMax {
			backoff = backoffMin
		}
		s.log.Warn("binlog connection lost; reconnecting", "err", err, "backoff", backoff,
			"position", s.resume.String())
		if !sleep(ctx, backoff) {
			return nil
		}
		backoff = min(backoff*2, backoffMax)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// prepare checks the server's binlog settings, picks the start position and loads the
// schema.
func (s *Source) prepare(ctx context.Context) error {
	c, err := connect(ctx, s.conn)
	if err != nil {
		return err
	}
	defer c.Close()
	info, err := queryServer(c, s.cfg.Flavor)
	if err != nil {
		return err
	}
	s.info = info
	switch {
	case !info.logBin:
		return fmt.Errorf("%w: log_bin is OFF: add log_bin=mysql-bin (and server_id) to my.cnf, then restart the server", ErrBinlogConfig)
	case info.binlogFormat != "ROW":
		return fmt.Errorf("%w: binlog_format is %s, not ROW: SET GLOBAL binlog_format = 'ROW'; and binlog_format=ROW in my.cnf", ErrBinlogConfig, info.binlogFormat)
	case info.rowImage != "" && info.rowImage != "FULL":
		return fmt.Errorf("%w: binlog_row_image is %s, not FULL: SET GLOBAL binlog_row_image = 'FULL'; and binlog_row_image=FULL in my.cnf", ErrBinlogConfig, info.rowImage)
	case info.serverID == s.cfg.ServerID:
		return fatal(fmt.Errorf("the server's own server_id is %d, the source's too: configure another source.mysql.server_id", info.serverID))
	}
	// Read the schema between two reads of the position: when both agree, no DDL can have
	// slipped in between. A busy server may move on meanwhile; then the schema is taken as
	// of the first position, and a DDL in between shows up as a mismatch with the binlog's
	// column metadata (a loud error, not wrong values).
	var sch *schema
	var pos Position
	for attempt := 0; ; attempt++ {
		p1, err := currentPosition(c, info)
		if err != nil {
			return err
		}
		sch, err = loadSchema(c, &s.cfg, info.flavor, info.charset, s.parser)
		if err != nil {
			return fatal(err)
		}
		p2, err := currentPosition(c, info)
		if err != nil {
			return err
		}
		pos = p1
		if p1 == p2 {
			break
		}
		if attempt == 4 {
			s.log.Debug("the binlog moved while the schema was read", "from", p1.String(), "to", p2.String())
			break
		}
	}
	if s.cfg.History != nil {
		if sch, err = s.prepareHistory(ctx, sch, pos); err != nil {
			return err
		}
	}
	s.schema = sch
	missing := s.missingTables()
	if len(missing) > 0 {
		return fatal(fmt.Errorf("configured tables do not exist, or the user may not see them (GRANT SELECT ON <database>.* TO '%s'@'%%';): %s",
			s.conn.user, strings.Join(missing, ", ")))
	}
	if s.start != nil {
		pos = *s.start
		if pos.GTID == "" && info.gtidMode == "ON" && info.flavor == FlavorMySQL {
			s.log.Warn("resuming by file and position although the server has GTIDs", "position", pos.String())
		}
	}
	s.resume = pos
	n := 0
	for _, t := range sch.tables {
		if s.cfg.included(t.db, t.name) {
			n++
		}
	}
	s.log.Info("mysql source ready", "flavor", info.flavor, "version", info.version, "tables", n,
		"position", pos.String())
	return nil
}

// missingTables lists the configured tables without globs that do not exist.
func (s *Source) missingTables() []string {
	var out []string
	for _, p := range s.cfg.Tables {
		if isGlob(p) {
			continue
		}
		db, name, _ := splitPattern(p)
		if s.schema.get(db, name) == nil {
			out = append(out, p)
		}
	}
	return out
}

// session is one binlog connection's life.
func (s *Source) session(ctx context.Context, h event.Handler, first bool) error {
	host, port := s.conn.hostPort()
	period := s.cfg.HeartbeatInterval
	if period <= 0 {
		period = livenessPeriod
	}
	scfg := replication.BinlogSyncerConfig{
		ServerID:                s.cfg.ServerID,
		Flavor:                  s.info.flavor,
		Host:                    host,
		Port:                    port,
		User:                    s.conn.user,
		Password:                s.conn.password,
		Localhost:               "dovetail-" + s.cfg.Name,
		ParseTime:               true, // no text round trip for DATETIME and TIMESTAMP: the decoders take time.Time
		TimestampStringLocation: time.UTC,
		UseDecimal:              false,
		HeartbeatPeriod:         period,
		ReadTimeout:             3*period + 5*time.Second,
		DisableRetrySync:        true, // reconnects are ours, from the last change handed over
		EventCacheCount:         128,  // decoded events queued ahead of the decoder: memory, not speed
		FillZeroLogPos:          s.info.flavor == FlavorMariaDB,
		Logger:                  slog.New(quietHandler{s.log.With("component", "go-mysql").Handler()}),
	}
	syncer := replication.NewBinlogSyncer(scfg)
	defer syncer.Close()

	start := s.resume
	var streamer *replication.BinlogStreamer
	var err error
	gt, err := newGTIDTracker(s.info.flavor, start.GTID)
	if err != nil {
		return fatal(fmt.Errorf("start position %s: %w", start, err))
	}
	if start.GTID != "" || (s.info.flavor == FlavorMariaDB && start.File == "") {
		streamer, err = syncer.StartSyncGTID(gt.set())
	} else {
		streamer, err = syncer.StartSync(gmysql.Position{Name: start.File, Pos: start.Pos})
	}
	if err != nil {
		return s.binlogError(err, start)
	}
	d := &decoder{src: s, h: h, gtids: gt, file: start.File, pos: start.Pos, rels: map[uint64]*relation{}, skip: start.Skip}
	// The first event tells whether the server accepted the position: a purged one is
	// an error packet right away.
	s.streaming.Store(true)
	defer s.streaming.Store(false)
	s.log.Info("streaming", "position", start.String())
	if first && s.start == nil {
		// Say where the stream starts, so the pipeline stores a position before any change.
		if err := h.Heartbeat(ctx, time.Now().UTC(), start); err != nil {
			return fatal(fmt.Errorf("heartbeat at %s: %w", start, err))
		}
		s.lastOut = time.Now()
	}
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if d.inGroup && d.txChanges > d.skip {
				// Reconnect inside the transaction, after what was handed over.
				s.resume = d.inside()
			}
			return s.binlogError(err, d.position())
		}
		if err := d.handle(ctx, ev); err != nil {
			return err
		}
	}
}

// binlogError names the position in errors of the binlog connection and makes a purged
// position a fatal ErrPurged.
func (s *Source) binlogError(err error, pos Position) error {
	var me *gmysql.MyError
	if errors.As(err, &me) && me.Code == gmysql.ER_MASTER_FATAL_ERROR_READING_BINLOG {
		return fatal(fmt.Errorf("%w: %s: %s", ErrPurged, pos, me.Message))
	}
	if errors.As(err, &me) && (me.Code == gmysql.ER_ACCESS_DENIED_ERROR || me.Code == gmysql.ER_SPECIFIC_ACCESS_DENIED_ERROR) {
		// The metadata connection worked with the same password: the binlog dump was
		// refused for want of the privilege.
		return fatal(fmt.Errorf("binlog at %s: the server refused the binlog connection (%s): the user needs REPLICATION SLAVE: GRANT REPLICATION SLAVE ON *.* TO '%s'@'%%';",
			pos, me.Message, s.conn.user))
	}
	return fmt.Errorf("binlog at %s: %w", pos, redactErr(err))
}

// quietHandler passes go-mysql's logs on one level lower (its Info is chatty: a line
// per connect, rotation and close), so Info shows only the source's own.
type quietHandler struct{ slog.Handler }

func (q quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return q.Handler.Enabled(ctx, l-4)
}

func (q quietHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level -= 4
	if !q.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}

func (q quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{q.Handler.WithAttrs(as)}
}

func (q quietHandler) WithGroup(n string) slog.Handler { return quietHandler{q.Handler.WithGroup(n)} }

// gtidTracker keeps the GTID set executed up to the stream's position.
type gtidTracker struct {
	flavor string
	// MariaDB: the last GTID of each replication domain (gtid_binlog_pos).
	maria map[uint32]gmysql.MariadbGTID
	// MySQL: gtid_executed.
	mysql *gmysql.MysqlGTIDSet
	// text caches the set's text until it changes.
	text string
}

func newGTIDTracker(flavor, text string) (*gtidTracker, error) {
	t := &gtidTracker{flavor: flavor}
	if flavor == FlavorMariaDB {
		t.maria = map[uint32]gmysql.MariadbGTID{}
		if text != "" {
			for _, part := range strings.Split(text, ",") {
				g, err := gmysql.ParseMariadbGTID(part)
				if err != nil {
					return nil, fmt.Errorf("parse MariaDB GTID %q: %w", part, err)
				}
				if _, dup := t.maria[g.DomainID]; dup {
					return nil, fmt.Errorf("parse MariaDB GTID set %q: domain %d twice", text, g.DomainID)
				}
				t.maria[g.DomainID] = *g
			}
		}
	} else {
		set, err := gmysql.ParseMysqlGTIDSet(text)
		if err != nil {
			return nil, fmt.Errorf("parse MySQL GTID set %q: %w", text, err)
		}
		t.mysql = set.(*gmysql.MysqlGTIDSet)
	}
	t.text = text
	return t, nil
}

func (t *gtidTracker) set() gmysql.GTIDSet {
	if t.flavor == FlavorMariaDB {
		s, _ := gmysql.ParseMariadbGTIDSet(t.String())
		return s
	}
	return t.mysql.Clone()
}

func (t *gtidTracker) addMaria(g gmysql.MariadbGTID) {
	t.maria[g.DomainID] = g
	t.text = ""
}

func (t *gtidTracker) addMySQL(sid uuid.UUID, gno int64) {
	t.mysql.AddGTID(sid, gno)
	t.text = ""
}

// String is the set's text, domains (or source ids) in order.
func (t *gtidTracker) String() string {
	if t.text != "" {
		return t.text
	}
	if t.flavor == FlavorMariaDB {
		if len(t.maria) == 0 {
			return ""
		}
		doms := make([]uint32, 0, len(t.maria))
		for d := range t.maria {
			doms = append(doms, d)
		}
		slices.Sort(doms)
		var b strings.Builder
		for i, d := range doms {
			if i > 0 {
				b.WriteByte(',')
			}
			g := t.maria[d]
			b.WriteString(g.String())
		}
		t.text = b.String()
	} else {
		t.text = t.mysql.String()
	}
	return t.text
}

// relation is a captured table's current shape and decoders.
type relation struct {
	t      *table
	table  *event.Table
	codecs []codec
}

// decoder turns one session's binlog events into Handler calls.
type decoder struct {
	src   *Source
	h     event.Handler
	gtids *gtidTracker

	file string
	pos  uint32 // offset of the next event in file

	// rels maps table ids of TableMapEvents to their captured relation (nil: not captured).
	rels map[uint64]*relation
	// byName caches the relations of captured tables by "db.table" until DDL changes them.
	byName map[string]*relation

	// The current event group (transaction or DDL statement).
	inGroup    bool
	explicitTx bool // ends with XID or COMMIT (not with its one statement)
	txGTID     string
	thread     *int64
	captured   bool // something was handed over in this group
	// txStart is the position before the group; txChanges counts its changes so far
	// (those skipped included); txCommit is its commit time where the server logs one
	// finer than the event header's seconds.
	txStart   Position
	txChanges int64
	txCommit  time.Time
	// skip is the number of changes of the session's first group that were handed over
	// before (its start position's Skip); they are not handed over again.
	skip int64
}

// position is the position after the last complete event group.
func (d *decoder) position() Position {
	return Position{GTID: d.gtids.String(), File: d.file, Pos: d.pos}
}

func (d *decoder) handle(ctx context.Context, ev *replication.BinlogEvent) error {
	hdr := ev.Header
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		d.file, d.pos = string(e.NextLogName), uint32(e.Position)
		return nil
	case *replication.TransactionPayloadEvent:
		for _, sub := range e.Events {
			if err := d.handle(ctx, sub); err != nil {
				return err
			}
		}
		if hdr.LogPos > 0 {
			d.pos = hdr.LogPos
		}
		return nil
	}
	start := d.pos
	if hdr.LogPos > 0 {
		d.pos = hdr.LogPos
	}
	switch e := ev.Event.(type) {
	case *replication.MariadbGTIDEvent:
		d.begin(start)
		d.txGTID = e.GTID.String()
		d.explicitTx = !e.IsStandalone()
		d.gtids.addMaria(e.GTID)
	case *replication.GTIDEvent:
		d.begin(start)
		sid, err := uuid.FromBytes(e.SID)
		if err == nil && sid != (uuid.UUID{}) {
			d.txGTID = sid.String() + ":" + strconv.FormatInt(e.GNO, 10)
			d.gtids.addMySQL(sid, e.GNO)
		}
		if e.ImmediateCommitTimestamp > 0 {
			// MySQL 8 logs the commit time in microseconds; the event header has seconds.
			d.txCommit = time.UnixMicro(int64(e.ImmediateCommitTimestamp)).UTC()
		}
	case *replication.QueryEvent:
		return d.query(ctx, e, hdr, start)
	case *replication.XIDEvent:
		return d.commit(ctx)
	case *replication.TableMapEvent:
		return d.tableMap(e)
	case *replication.RowsEvent:
		return d.rows(ctx, e, hdr, start)
	case *replication.GenericEvent:
		if hdr.EventType == replication.HEARTBEAT_EVENT || hdr.EventType == replication.HEARTBEAT_LOG_EVENT_V2 {
			return d.heartbeat(ctx)
		}
	}
	return nil
}

// begin starts an event group whose first event is at offset start.
func (d *decoder) begin(start uint32) {
	d.inGroup, d.explicitTx, d.txGTID, d.thread, d.captured = true, false, "", nil, false
	d.txStart = Position{GTID: d.gtids.String(), File: d.file, Pos: start}
	d.txChanges, d.txCommit = 0, time.Time{}
}

// commit ends an event group: Handler.Commit when something of it was handed over,
// else maybe a Heartbeat when none was due for HeartbeatInterval.
func (d *decoder) commit(ctx context.Context) error {
	d.inGroup = false
	d.skip = 0 // only the session's first group can be partly acknowledged
	pos := d.position()
	d.src.resume = pos
	if d.captured {
		if err := d.h.Commit(ctx, pos); err != nil {
			return fatal(fmt.Errorf("commit at %s: %w", pos, err))
		}
		d.src.lastOut = time.Now()
		return nil
	}
	if iv := d.src.cfg.HeartbeatInterval; iv > 0 && time.Since(d.src.lastOut) >= iv {
		return d.heartbeatAt(ctx, pos)
	}
	return nil
}

func (d *decoder) heartbeat(ctx context.Context) error {
	if d.inGroup || d.src.cfg.HeartbeatInterval <= 0 {
		return nil
	}
	return d.heartbeatAt(ctx, d.position())
}

func (d *decoder) heartbeatAt(ctx context.Context, pos Position) error {
	if err := d.h.Heartbeat(ctx, time.Now().UTC(), pos); err != nil {
		return fatal(fmt.Errorf("heartbeat at %s: %w", pos, err))
	}
	d.src.lastOut = time.Now()
	return nil
}

func (d *decoder) query(ctx context.Context, e *replication.QueryEvent, hdr *replication.EventHeader, start uint32) error {
	q := strings.TrimSpace(string(e.Query))
	switch strings.ToUpper(q) {
	case "BEGIN", "START TRANSACTION":
		if !d.inGroup {
			d.begin(start)
		}
		d.explicitTx = true
		th := int64(e.SlaveProxyID)
		d.thread = &th
		return nil
	case "COMMIT", "ROLLBACK":
		// A ROLLBACK that reaches the binlog ends a group whose non-transactional
		// changes stay applied.
		return d.commit(ctx)
	}
	if !d.inGroup {
		d.begin(start)
	}
	if err := d.ddl(ctx, q, string(e.Schema), hdr, start); err != nil {
		return err
	}
	if !d.explicitTx {
		return d.commit(ctx)
	}
	return nil
}

// ddl applies a statement to the schema, records what it changed in the schema history
// and hands captured tables' changes to the Handler. Statements that are not table DDL,
// and DDL of tables that are not captured which cannot be parsed, are ignored.
func (d *decoder) ddl(ctx context.Context, q, defaultDB string, hdr *replication.EventHeader, start uint32) error {
	s := d.src
	stmt, rw, err := s.parser.parse(q)
	if errors.Is(err, errNotTableDDL) {
		return nil
	}
	before := maps.Clone(s.schema.tables)
	charsets := maps.Clone(s.schema.dbCharset)
	var changed []string
	if err != nil {
		if id := d.capturedIn(q, defaultDB); id != "" {
			return fatal(fmt.Errorf("%w: cannot parse DDL of captured table %s at %s: %v; statement: %s", ErrSchema, id, d.position(), err, q))
		}
		// Forget the shapes it may have changed: should such a table be renamed into the
		// captured set later, its rows fail loudly instead of decoding with a stale shape.
		for _, id := range ddlTargets(tokenize(q), defaultDB) {
			if db, name, ok := strings.Cut(id, "."); ok && s.schema.get(db, name) != nil {
				s.schema.drop(db, name)
				changed = append(changed, id)
			}
		}
		s.log.Debug("DDL of no captured table not parsed; ignored", "err", err, "statement", q)
	} else {
		var applyErr error
		changed, applyErr = s.schema.applyDDL(stmt, rw, defaultDB)
		if applyErr != nil {
			for _, id := range changed {
				db, name, _ := strings.Cut(id, ".")
				if s.cfg.included(db, name) {
					return fatal(fmt.Errorf("%w: apply DDL of captured table %s at %s: %v; statement: %s", ErrSchema, id, d.position(), applyErr, q))
				}
			}
			for _, id := range changed {
				db, name, _ := strings.Cut(id, ".")
				s.schema.drop(db, name)
			}
		}
	}
	for _, id := range changed {
		delete(d.byName, id)
	}
	// Statements that changed nothing tracked (DDL of tables the schema never knew,
	// CREATE TABLE IF NOT EXISTS of an existing one) leave no trace.
	// Tables of databases that cannot be captured are tracked (a RENAME may move one
	// into a captured database) but not recorded.
	changed = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(changed))), func(id string) bool {
		db, _, _ := strings.Cut(id, ".")
		return before[id] == nil && s.schema.tables[id] == nil || !s.cfg.mayInclude(db)
	})
	if len(changed) == 0 && !capturedCharsetChanged(&s.cfg, charsets, s.schema.dbCharset) {
		return nil
	}
	pos := d.position()
	if err := s.appendHistory(ctx, changeRecord(s.schema, pos, defaultDB, q, changed), pos); err != nil {
		return err
	}
	sc := &event.SchemaChange{Database: defaultDB, DDL: q}
	for _, id := range changed {
		db, name, _ := strings.Cut(id, ".")
		if !s.cfg.included(db, name) {
			continue
		}
		t := s.schema.get(db, name)
		typ := "ALTER"
		switch {
		case t == nil:
			typ = "DROP"
		case before[id] == nil:
			typ = "CREATE"
		}
		if t != nil {
			if _, err := d.relation(t); err != nil {
				return fatal(fmt.Errorf("%w: after DDL at %s: %v; statement: %s", ErrSchema, pos, err, q))
			}
		}
		if sc.Database == "" {
			sc.Database = db
		}
		shape := t
		if shape == nil {
			shape = before[id]
		}
		sc.Tables = append(sc.Tables, tableChange(typ, db, name, shape))
		s.log.Info("captured table changed", "table", id, "change", typ, "gtid", d.txGTID, "statement", q)
	}
	if len(sc.Tables) == 0 {
		return nil
	}
	d.captured = true // move the stored position past the DDL
	sch, ok := d.h.(event.SchemaChangeHandler)
	if !ok {
		return nil
	}
	sc.Source = event.Source{
		Version:   Version,
		Connector: "mysql",
		Name:      s.cfg.Name,
		Commit:    time.Unix(int64(hdr.Timestamp), 0).UTC(),
		Snapshot:  "false",
		DB:        sc.Database,
		ServerID:  int64(hdr.ServerID),
		GTID:      d.txGTID,
		File:      d.file,
		Pos:       int64(start),
		Thread:    d.thread,
	}
	if err := sch.SchemaChange(ctx, sc); err != nil {
		return fatal(fmt.Errorf("hand over schema change at %s: %w", pos, err))
	}
	return nil
}

// capturedCharsetChanged reports whether a database that may be captured got another
// default character set (or was created or dropped) between a and b.
func capturedCharsetChanged(cfg *Config, a, b map[string]string) bool {
	for db, cs := range a {
		if b[db] != cs && cfg.mayInclude(db) {
			return true
		}
	}
	for db, cs := range b {
		if a[db] != cs && cfg.mayInclude(db) {
			return true
		}
	}
	return false
}

// capturedIn returns a captured table that an unparsable statement of tableDDLPrefixes
// changes, or "".
func (d *decoder) capturedIn(q, defaultDB string) string {
	for _, id := range ddlTargets(tokenize(q), defaultDB) {
		db, name, _ := strings.Cut(id, ".")
		if name == "" {
			for _, t := range d.src.schema.tables {
				if t.db == db && d.src.cfg.included(t.db, t.name) {
					return t.id()
				}
			}
			continue
		}
		if d.src.cfg.included(db, name) {
			return id
		}
	}
	return ""
}

// ddlTargets returns the tables ("db.table") or databases ("db") a table DDL statement
// names as its targets: after TABLE [IF [NOT] EXISTS], after TO and commas of RENAME
// and DROP, after DATABASE/SCHEMA.
func ddlTargets(toks []token, defaultDB string) []string {
	var out []string
	word := func(i int) string {
		if i < len(toks) {
			return strings.ToLower(toks[i].text)
		}
		return ""
	}
	name := func(i int) (string, int) {
		if i >= len(toks) || !toks[i].word {
			return "", i
		}
		if word(i+1) == "." && i+2 < len(toks) && toks[i+2].word {
			return unquoteIdent(toks[i].text) + "." + unquoteIdent(toks[i+2].text), i + 3
		}
		return defaultDB + "." + unquoteIdent(toks[i].text), i + 1
	}
	for i := 0; i < len(toks); i++ {
		switch word(i) {
		case "table", "tables", "to", ",":
			j := i + 1
			for word(j) == "if" || word(j) == "not" || word(j) == "exists" {
				j++
			}
			if n, next := name(j); n != "" {
				out = append(out, n)
				i = next - 1
			}
		case "database", "schema":
			j := i + 1
			for word(j) == "if" || word(j) == "not" || word(j) == "exists" {
				j++
			}
			if j < len(toks) && toks[j].word {
				out = append(out, unquoteIdent(toks[j].text))
			}
			return out
		}
		if i > 0 && word(i) == "(" {
			break // column definitions follow
		}
	}
	return out
}

// relation returns the captured relation of t, building it when t changed.
func (d *decoder) relation(t *table) (*relation, error) {
	if d.byName == nil {
		d.byName = map[string]*relation{}
	}
	if r := d.byName[t.id()]; r != nil && r.t == t {
		return r, nil
	}
	et, codecs, err := eventTable(t, d.src.cfg.KeyColumns[t.id()])
	if err != nil {
		return nil, err
	}
	r := &relation{t: t, table: et, codecs: codecs}
	d.byName[t.id()] = r
	return r, nil
}

func (d *decoder) tableMap(e *replication.TableMapEvent) error {
	db, name := string(e.Schema), string(e.Table)
	if !d.src.cfg.included(db, name) {
		d.rels[e.TableID] = nil
		return nil
	}
	t := d.src.schema.get(db, name)
	if t == nil {
		return fatal(fmt.Errorf("%w: rows of captured table %s.%s at %s, whose schema is unknown", ErrSchema, db, name, d.position()))
	}
	r, err := d.relation(t)
	if err != nil {
		return fatal(fmt.Errorf("%w: %v", ErrSchema, err))
	}
	if int(e.ColumnCount) != len(t.cols) {
		return fatal(fmt.Errorf("%w: table %s has %d columns in the binlog at %s, %d in the tracked schema (DDL the source did not see: was the schema history lost?)",
			ErrSchema, t.id(), e.ColumnCount, d.position(), len(t.cols)))
	}
	for i := range t.cols {
		if !binlogTypeFits(&t.cols[i], e.ColumnType[i]) {
			return fatal(fmt.Errorf("%w: table %s column %s is %s in the tracked schema but has binlog type %d at %s (DDL the source did not see: was the schema history lost?)",
				ErrSchema, t.id(), t.cols[i].name, t.cols[i].sourceType(), e.ColumnType[i], d.position()))
		}
	}
	if names := e.ColumnNameString(); len(names) > 0 {
		for i, n := range names {
			if !strings.EqualFold(n, t.cols[i].name) {
				return fatal(fmt.Errorf("%w: table %s column %d is %q in the binlog at %s, %q in the tracked schema",
					ErrSchema, t.id(), i+1, n, d.position(), t.cols[i].name))
			}
		}
	}
	d.rels[e.TableID] = r
	return nil
}

func (d *decoder) rows(ctx context.Context, e *replication.RowsEvent, hdr *replication.EventHeader, start uint32) error {
	r, ok := d.rels[e.TableID]
	if !ok {
		return fatal(fmt.Errorf("rows event of table id %d at %s without its table map", e.TableID, d.position()))
	}
	if r == nil {
		return nil
	}
	for _, sk := range e.SkippedColumns {
		if len(sk) > 0 {
			return fatal(fmt.Errorf("%w: rows of %s at %s lack columns: set binlog_row_image=FULL", ErrBinlogConfig, r.table.ID, d.position()))
		}
	}
	commit := d.txCommit
	if commit.IsZero() {
		commit = time.Unix(int64(hdr.Timestamp), 0).UTC()
	}
	src := event.Source{
		Version:   Version,
		Connector: "mysql",
		Name:      d.src.cfg.Name,
		Commit:    commit,
		Snapshot:  "false",
		DB:        r.table.ID.Database,
		Table:     r.table.ID.Table,
		ServerID:  int64(hdr.ServerID),
		GTID:      d.txGTID,
		File:      d.file,
		Pos:       int64(start),
		Thread:    d.thread,
	}
	typ := e.Type()
	step := 1
	if typ == replication.EnumRowsEventTypeUpdate {
		step = 2
	}
	for i := 0; i+step <= len(e.Rows); i += step {
		src.Row = int32(i / step)
		var c *event.Change
		switch typ {
		case replication.EnumRowsEventTypeInsert:
			after, err := d.decodeRow(r, e.Rows[i], src)
			if err != nil {
				return err
			}
			c = &event.Change{Table: r.table, Op: event.OpCreate, After: after, Source: src}
		case replication.EnumRowsEventTypeDelete:
			before, err := d.decodeRow(r, e.Rows[i], src)
			if err != nil {
				return err
			}
			c = &event.Change{Table: r.table, Op: event.OpDelete, Before: before, Source: src}
		case replication.EnumRowsEventTypeUpdate:
			before, err := d.decodeRow(r, e.Rows[i], src)
			if err != nil {
				return err
			}
			after, err := d.decodeRow(r, e.Rows[i+1], src)
			if err != nil {
				return err
			}
			if len(r.table.Key) > 0 && !sameKey(r.table.Key, before, after) {
				// As Debezium: a key change is a delete of the old key and a create of
				// the new, both at the update's position.
				if err := d.change(ctx, &event.Change{Table: r.table, Op: event.OpDelete, Before: before, Source: src}); err != nil {
					return err
				}
				c = &event.Change{Table: r.table, Op: event.OpCreate, After: after, Source: src}
			} else {
				c = &event.Change{Table: r.table, Op: event.OpUpdate, Before: before, After: after, Source: src}
			}
		default:
			return fatal(fmt.Errorf("rows event of type %s at %s", hdr.EventType, d.position()))
		}
		if err := d.change(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) change(ctx context.Context, c *event.Change) error {
	d.captured = true
	d.txChanges++
	if d.txChanges <= d.skip {
		return nil
	}
	if err := d.h.Change(ctx, c); err != nil {
		return fatal(fmt.Errorf("hand over %s change of %s at %s:%d: %w", c.Op, c.Table.ID, c.Source.File, c.Source.Pos, err))
	}
	if d.txChanges%CheckpointEvery == 0 {
		// A position inside the transaction, so that a restart does not repeat what
		// Kafka has of a large one.
		pos := d.inside()
		if err := d.h.Commit(ctx, pos); err != nil {
			return fatal(fmt.Errorf("commit at %s: %w", pos, err))
		}
	}
	return nil
}

// inside is the position after the changes of the current group handed over so far.
func (d *decoder) inside() Position {
	p := d.txStart
	p.Skip = d.txChanges
	return p
}

func (d *decoder) decodeRow(r *relation, raw []any, src event.Source) ([]any, error) {
	if len(raw) != len(r.codecs) {
		return nil, fatal(fmt.Errorf("%w: row of %s at %s:%d has %d columns, the tracked schema %d", ErrSchema, r.table.ID, src.File, src.Pos, len(raw), len(r.codecs)))
	}
	row := make([]any, len(raw))
	for i, v := range raw {
		if v == nil {
			continue
		}
		x, err := r.codecs[i].decode(v)
		if err != nil {
			col := &r.table.Columns[i]
			return nil, fatal(fmt.Errorf("decode %s column %s (%s) at %s:%d row %d: %w", r.table.ID, col.Name, col.Type.SourceType, src.File, src.Pos, src.Row, err))
		}
		row[i] = x
	}
	return row, nil
}

// sameKey reports whether two rows have equal key values.
func sameKey(key []int, a, b []any) bool {
	for _, i := range key {
		if !equalValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func equalValue(a, b any) bool {
	switch x := a.(type) {
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	}
	return a == b
}
