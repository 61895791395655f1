package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// devRecordFile is where a running `thumbflow dev` says where it listens,
// in its data directory, so that `thumbflow upload` and `thumbflow aws`
// find it without flags even when it was started with -addr.
const devRecordFile = "dev.json"

// defaultWebSocketURL and defaultEndpoint are `thumbflow dev`'s addresses
// with no flags, used when no record is found.
const (
	defaultWebSocketURL = "ws://127.0.0.1:4566/prod"
	defaultEndpoint     = "http://127.0.0.1:4566"
)

// devRecord is what dev.json holds. It has no secrets: the credentials stay
// in credentials.json, which the local cloud owns.
type devRecord struct {
	PID          int    `json:"pid"`
	WebSocketURL string `json:"websocketUrl"`
	Endpoint     string `json:"endpoint"`
	WebURL       string `json:"webUrl"`
	Region       string `json:"region"`
}

func writeDevRecord(dataDir string, r devRecord) error {
	if dataDir == "" {
		return nil
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dataDir, devRecordFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("record the endpoint for thumbflow upload: %w", err)
	}
	return nil
}

// removeDevRecord forgets the record at a clean stop; a record left by a
// killed process only costs a failed dial, after which the default
// address is tried.
func removeDevRecord(dataDir string) {
	if dataDir != "" {
		os.Remove(filepath.Join(dataDir, devRecordFile))
	}
}

// readDevRecord reads the record of the `thumbflow dev` using dataDir;
// ok is false when there is none.
func readDevRecord(dataDir string) (r devRecord, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, devRecordFile))
	if errors.Is(err, os.ErrNotExist) {
		return devRecord{}, false, nil
	}
	if err != nil {
		return devRecord{}, false, fmt.Errorf("read %s: %w", devRecordFile, err)
	}
	if err := json.Unmarshal(b, &r); err != nil || r.WebSocketURL == "" {
		return devRecord{}, false, fmt.Errorf("%s in %s is damaged; restart thumbflow dev", devRecordFile, dataDir)
	}
	return r, true, nil
}

// devDataDir is the data directory `thumbflow dev` uses by default, which
// the commands that look for a running one share.
func devDataDir() string { return envOr("THUMBFLOW_DATA", ".thumbflow") }
