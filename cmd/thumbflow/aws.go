package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func init() {
	commands["aws"] = command{summary: "run the aws CLI against the running thumbflow dev, whatever the CLI's version (as LocalStack's awslocal)", run: runAWS}
}

// awsConfig is the aws CLI configuration the wrapper runs with instead of
// the user's own: SigV4 for presigned URLs (aws CLI v1 would make SigV2
// ones, which the local S3 refuses) and path-style addressing (the local
// endpoint has no per-bucket host names). Not reading ~/.aws also means no
// profile there can send a command to a real account.
const awsConfig = `[default]
s3 =
    signature_version = s3v4
    addressing_style = path
`

// exitStatus is a child's exit status that a command passes on as its own.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func runAWS(ctx context.Context, args []string) error {
	if len(args) == 0 || (len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")) {
		fmt.Fprint(stderr, `usage: thumbflow aws ARGS...

Runs aws --endpoint-url ENDPOINT ARGS... with the local cloud's credentials and
region, for aws CLI v1 and v2 alike (v2 before 2.13 ignores AWS_ENDPOINT_URL).
Every argument goes to aws. It finds the running thumbflow dev through its data
directory (THUMBFLOW_DATA, default .thumbflow) and runs the aws on the PATH, or
THUMBFLOW_AWS. Your ~/.aws configuration is not read.
`)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	dataDir := devDataDir()
	endpoint, region := defaultEndpoint, "us-east-1"
	if rec, ok, err := readDevRecord(dataDir); err != nil {
		return err
	} else if ok {
		endpoint, region = rec.Endpoint, rec.Region
	}
	key, secret, err := localCredentials(dataDir)
	if err != nil {
		return err
	}
	cfgFile, err := os.CreateTemp("", "thumbflow-aws-config-*")
	if err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	defer os.Remove(cfgFile.Name())
	if _, err := cfgFile.WriteString(awsConfig); err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	cfgFile.Close()

	// Not CommandContext: Ctrl+C reaches aws itself, which stops as it
	// sees fit, and its status is passed on.
	cmd := exec.Command(envOr("THUMBFLOW_AWS", "aws"), append([]string{"--endpoint-url", endpoint}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "AWS_PAGER=") || strings.HasPrefix(kv, "AWS_DEFAULT_OUTPUT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_REGION="+region, "AWS_DEFAULT_REGION="+region, "AWS_ENDPOINT_URL="+endpoint,
		"AWS_CONFIG_FILE="+cfgFile.Name(), "AWS_SHARED_CREDENTIALS_FILE="+cfgFile.Name())
	err = cmd.Run()
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		return exitStatus(exit.ExitCode())
	}
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("no aws CLI found (%w): install it (apt-get install awscli, or pip install awscli), or set THUMBFLOW_AWS", err)
	}
	return err
}

// localCredentials are the developer's credentials of the local cloud:
// THUMBFLOW_ACCESS_KEY and THUMBFLOW_SECRET_KEY when dev was given them,
// else the pair generated into the data directory.
func localCredentials(dataDir string) (key, secret string, err error) {
	if k, s := os.Getenv("THUMBFLOW_ACCESS_KEY"), os.Getenv("THUMBFLOW_SECRET_KEY"); k != "" && s != "" {
		return k, s, nil
	}
	path := filepath.Join(dataDir, "credentials.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("no local credentials (%w): start thumbflow dev first, or set THUMBFLOW_DATA to its data directory", err)
	}
	var c struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" {
		return "", "", fmt.Errorf("%s is damaged; stop thumbflow dev, delete it, and start again", path)
	}
	return c.AccessKeyID, c.SecretAccessKey, nil
}
