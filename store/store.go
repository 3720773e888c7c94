// Package store is dirsync's directory of record: users, groups, memberships,
// integrations and their provisioning tokens, the audit log, sync runs and
// per-source cursors, kept in one SQLite file through modernc.org/sqlite.
//
// It is the only package that contains SQL. Callers work inside a unit of
// work: Update runs a function in one write transaction (BEGIN IMMEDIATE on a
// single writer connection), so a reconcile and a concurrent SCIM request read,
// decide and write atomically and can never overwrite each other's changes.
// Every mutating method writes its own audit rows in the same transaction, so
// a change without an audit entry cannot be committed.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound means no row matched.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule (userName, group displayName) would
	// be broken.
	ErrConflict = errors.New("conflict")
	// ErrPrecondition means an expected version did not match (ETag If-Match).
	ErrPrecondition = errors.New("version mismatch")
	// ErrNewerSchema means the file was written by a newer dirsync.
	ErrNewerSchema = errors.New("database schema is newer than this dirsync")
)

// timeLayout is fixed-width so that timestamps compare correctly as strings in
// SQL (meta.lastModified filters, audit time ranges).
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) time.Time {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// FormatTime renders t the way the store keeps timestamps, for callers that
// compare against stored values.
func FormatTime(t time.Time) string { return formatTime(t) }

// Store is an open directory database.
type Store struct {
	// writer has exactly one connection: SQLite allows one writer at a time,
	// and serialising in-process avoids SQLITE_BUSY between our own goroutines.
	writer *sql.DB
	// reader serves read-only views concurrently (WAL lets readers proceed
	// while a write transaction is open).
	reader *sql.DB
	path   string
	now    func() time.Time
	// verifyToken runs on every SCIM request: prepared once, it is reused
	// on each reader connection instead of being parsed per request.
	verifyToken *sql.Stmt
}

// Option adjusts how a Store is opened.
type Option func(*Store)

// WithClock replaces time.Now, for deterministic tests and golden files.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open opens (creating if needed) the database at path and migrates it to the
// current schema. A database written by a newer schema is refused untouched.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	s := &Store{path: path, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.writer, err = openDB(path, "immediate", false, writerCacheKiB); err != nil {
		return nil, err
	}
	s.writer.SetMaxOpenConns(1)
	if err := migrate(ctx, s.writer); err != nil {
		s.writer.Close()
		return nil, err
	}
	if s.reader, err = openDB(path, "deferred", true, readerCacheKiB); err != nil {
		s.writer.Close()
		return nil, err
	}
	s.reader.SetMaxOpenConns(4)
	if s.verifyToken, err = s.reader.PrepareContext(ctx, "SELECT token_hash FROM integrations WHERE name = ?"); err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare token verification: %w", err)
	}
	if err := s.backfillMembersFP(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Page cache sizes. The default (about 8 MB) makes a 100k-user reconcile
// re-read the same index pages through syscalls. The writer's is larger: a
// first sync's transaction dirties the whole database (about 220 MB for 100k
// users and 1M memberships), and whatever does not fit is spilled to the WAL
// and read back, which made the initial apply half again as slow. SQLite
// allocates cache pages as they are used, so a small directory stays small.
const (
	writerCacheKiB = 256 << 10
	readerCacheKiB = 64 << 10
)

func openDB(path, txlock string, readOnly bool, cacheKiB int) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	// A long apply holds the write lock; another process (the CLI while the
	// daemon runs) waits for it rather than failing at once.
	q.Add("_pragma", "busy_timeout(30000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", txlock)
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	var errs []error
	if s.verifyToken != nil {
		errs = append(errs, s.verifyToken.Close())
	}
	if s.reader != nil {
		errs = append(errs, s.reader.Close())
	}
	return errors.Join(append(errs, s.writer.Close())...)
}

// Ping checks that the database answers, for readiness probes.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.reader.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

// Channel says through which path a change arrived.
type Channel string

// The channels recorded in the audit log.
const (
	ChannelPush Channel = "push" // SCIM request from an IdP
	ChannelPull Channel = "pull" // scheduled or manual sync
	ChannelCLI  Channel = "cli"  // an admin's command
)

// Actor identifies who makes the changes of one unit of work; it is copied
// into every audit row the unit writes.
type Actor struct {
	Channel     Channel
	Integration string
	// RunID is the sync run id or the SCIM request id.
	RunID string
	// Who is a free-form principal, e.g. the OS user for CLI changes.
	Who string
}

// Tx is one unit of work. Methods are safe to call only from the goroutine
// running the Update or View function.
type Tx struct {
	tx    *sql.Tx
	actor Actor
	now   time.Time
	write bool
	// stmts caches prepared statements for the life of the transaction: a
	// reconcile runs the same few statements a hundred thousand times, and
	// parsing them each time costs more than executing them.
	stmts map[string]*sql.Stmt
	// userPKs caches user id -> internal key for users created in this
	// transaction: a first sync adds a million memberships of users it has
	// just inserted, and looking each one up again costs seconds.
	userPKs map[string]int64
}

func (t *Tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

func (t *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (t *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow is QueryRowContext through the statement cache; a prepare error
// surfaces from Scan like any other.
func (t *Tx) queryRow(ctx context.Context, query string, args ...any) rowScanner {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type rowScanner interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// Update runs fn in a write transaction. fn's error, or a panic, rolls back
// everything fn did, including its audit rows.
func (s *Store) Update(ctx context.Context, actor Actor, fn func(*Tx) error) error {
	if actor.Channel == "" {
		return errors.New("store update: actor channel is required")
	}
	return s.run(ctx, s.writer, &Tx{actor: actor, write: true}, fn)
}

// View runs fn in a read-only transaction that sees one consistent snapshot.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	return s.run(ctx, s.reader, &Tx{}, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, t *Tx, fn func(*Tx) error) (err error) {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t.tx, t.now = sqlTx, s.now().UTC()
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(t); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Now is the timestamp that every row written by this unit of work carries.
func (t *Tx) Now() time.Time { return t.now }

// Actor is who this unit of work acts for.
func (t *Tx) Actor() Actor { return t.actor }

func (t *Tx) mustWrite() error {
	if !t.write {
		return errors.New("write in a read-only view")
	}
	return nil
}

// Checkpoint folds the write-ahead log into the main database file, so that
// the file alone is a complete copy (backups, benchmark fixtures).
func (s *Store) Checkpoint(ctx context.Context) (walPages int, err error) {
	var busy, logPages, done int
	if err := s.writer.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logPages, &done); err != nil {
		return 0, fmt.Errorf("checkpoint: %w", err)
	}
	return logPages, nil
}
