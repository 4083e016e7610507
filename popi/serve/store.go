package serve

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-go/popi/popi/data"
)

// UserRecord is what the store keeps for a user: the signals as sent, their rendering
// (the {user_signals} of the inference template) and the summary written from them.
type UserRecord struct {
	ID            string          `json:"id"`
	Pairs         []data.PrefPair `json:"pairs,omitempty"`
	SignalText    string          `json:"signal_text,omitempty"`
	Signals       string          `json:"signals"`
	SignalsSHA256 string          `json:"signals_sha256"`
	Summary       string          `json:"summary"`
	SummaryTokens int             `json:"summary_tokens"`
	Summarizer    string          `json:"summarizer"`
	Family        string          `json:"family"`
	Updated       time.Time       `json:"updated"`
}

// Store keeps user records in one bbolt file; records survive restarts.
type Store struct {
	db *bolt.DB
}

var usersBucket = []byte("users")

// OpenStore opens (or creates) the database file at path.
func OpenStore(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("serve: open user store %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(usersBucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("serve: user store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Get returns a user's record (ok false when there is none).
func (s *Store) Get(id string) (rec *UserRecord, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(usersBucket).Get([]byte(id))
		if v == nil {
			return nil
		}
		rec = new(UserRecord)
		if err := json.Unmarshal(v, rec); err != nil {
			return fmt.Errorf("serve: user store: record %q: %w", id, err)
		}
		ok = true
		return nil
	})
	return rec, ok, err
}

// Put writes a record (durably: bbolt syncs on commit).
func (s *Store) Put(rec *UserRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(usersBucket).Put([]byte(rec.ID), b) })
}

// Delete removes a user's record; ok reports whether there was one.
func (s *Store) Delete(id string) (ok bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(usersBucket)
		ok = b.Get([]byte(id)) != nil
		return b.Delete([]byte(id))
	})
	return ok, err
}

// Len is the number of stored users.
func (s *Store) Len() (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(usersBucket).Stats().KeyN; return nil })
	return n, err
}
