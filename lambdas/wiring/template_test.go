package wiring

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"thumbflow/internal/templatetest"
	"thumbflow/lambdas/pipeline"
	"thumbflow/thumbnail"
	"thumbflow/upload"
	"thumbflow/web"
	"thumbflow/websocket"
)

// repoRoot is where template.yaml, the Makefile and statemachine/ live.
const repoRoot = "../.."

// template is template.yaml decoded with CloudFormation's short-form tags
// (!Ref, !Sub, !GetAtt) kept as plain values.
type template struct {
	Globals struct {
		Function map[string]any `yaml:"Function"`
	} `yaml:"Globals"`
	Resources map[string]resource `yaml:"Resources"`
}

type resource struct {
	Type       string         `yaml:"Type"`
	Metadata   map[string]any `yaml:"Metadata"`
	Properties map[string]any `yaml:"Properties"`
}

func loadTemplate(t *testing.T) template {
	t.Helper()
	var tpl template
	templatetest.Decode(t, filepath.Join(repoRoot, "template.yaml"), nil, &tpl)
	return tpl
}

// functions maps each function in the template to the constructor its
// main calls, and its main package.
var functions = map[string]struct {
	pkg   string
	build func(env *Env) any
}{
	"StartFunction":   {"./lambdas/start", func(env *Env) any { return Start(env, testConfig(), slog.Default()) }},
	"ConvertFunction": {"./lambdas/convert", func(env *Env) any { return Convert(env, testConfig(), slog.Default()) }},
	"StatusFunction":  {"./lambdas/status", func(env *Env) any { return Status(env, testConfig(), slog.Default(), nil) }},
	"SweepFunction": {"./lambdas/sweep", func(env *Env) any {
		h, err := Sweep(env, testConfig(), slog.Default(), nil)
		if err != nil {
			panic(err)
		}
		return h
	}},
	"WebSocketFunction": {"./lambdas/websocket", func(env *Env) any {
		h, err := WebSocket(env, testConfig(), []byte(strings.Repeat("k", 32)), slog.Default())
		if err != nil {
			panic(err)
		}
		return h
	}},
}

func testConfig() (cfg aws.Config) {
	cfg.Region = "us-east-1"
	return cfg
}

func TestTemplateDeclaresEveryFunction(t *testing.T) {
	tpl := loadTemplate(t)
	var declared []string
	for id, r := range tpl.Resources {
		if r.Type == "AWS::Serverless::Function" {
			declared = append(declared, id)
		}
	}
	var wired []string
	for id := range functions {
		wired = append(wired, id)
	}
	var handlers []string
	for id := range Handlers {
		handlers = append(handlers, id)
	}
	sort.Strings(declared)
	sort.Strings(wired)
	sort.Strings(handlers)
	if !slices.Equal(declared, wired) {
		t.Fatalf("template functions %v, wired functions %v", declared, wired)
	}
	if !slices.Equal(declared, handlers) {
		t.Fatalf("template functions %v, wiring.Handlers %v: the local cloud would refuse the template", declared, handlers)
	}
	g := tpl.Globals.Function
	if g["Runtime"] != "provided.al2023" || fmt.Sprint(g["Architectures"]) != "[arm64]" || g["Handler"] != "bootstrap" {
		t.Errorf("globals = %v, want provided.al2023 on arm64 with handler bootstrap", g)
	}
}

var makeTarget = regexp.MustCompile(`(?m)^build-(\w+):\n\t\$\(GO_LAMBDA\) -o \$\(ARTIFACTS_DIR\)/bootstrap (\S+)$`)

func TestEveryFunctionBuildsForLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four binaries")
	}
	tpl := loadTemplate(t)
	mk, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mk), "GOARCH ?= arm64\n") || !strings.Contains(string(mk), "GO_LAMBDA = GOOS=linux GOARCH=$(GOARCH) CGO_ENABLED=0 go build") {
		t.Fatal("Makefile does not build for linux/arm64 (by default) with CGO_ENABLED=0")
	}
	targets := map[string]string{}
	for _, m := range makeTarget.FindAllStringSubmatch(string(mk), -1) {
		targets[m[1]] = m[2]
	}
	// One go build for all functions: the same check, at a quarter of the
	// compile time on a cold cache.
	var pkgs []string
	codeURI, _ := tpl.Globals.Function["CodeUri"].(string)
	for id, fn := range functions {
		r := tpl.Resources[id]
		if r.Metadata["BuildMethod"] != "makefile" {
			t.Errorf("%s: BuildMethod = %v, want makefile", id, r.Metadata["BuildMethod"])
		}
		if targets[id] != fn.pkg {
			t.Errorf("Makefile target build-%s builds %q, want %q", id, targets[id], fn.pkg)
		}
		if u, ok := r.Properties["CodeUri"].(string); ok && u != codeURI {
			t.Errorf("%s: CodeUri %q differs from the Makefile's directory %q", id, u, codeURI)
		}
		pkgs = append(pkgs, fn.pkg)
	}
	cmd := exec.Command("go", append([]string{"build", "-tags", "lambda.norpc", "-o", t.TempDir() + "/"}, pkgs...)...)
	cmd.Dir = filepath.Join(repoRoot, codeURI)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %v from CodeUri %q for linux/arm64: %v\n%s", pkgs, codeURI, err, out)
	}
}

var requireLiteral = regexp.MustCompile(`Require\("([A-Z0-9_]+)"\)`)

func TestTemplateSetsEveryVariableAMainReads(t *testing.T) {
	tpl := loadTemplate(t)
	for id, fn := range functions {
		t.Run(id, func(t *testing.T) {
			var env Env
			fn.build(&env)
			need := slices.Clone(env.Required())
			src, err := os.ReadFile(filepath.Join(repoRoot, fn.pkg, "main.go"))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range requireLiteral.FindAllStringSubmatch(string(src), -1) {
				need = append(need, m[1])
			}
			set := map[string]bool{}
			if e, ok := tpl.Resources[id].Properties["Environment"].(map[string]any); ok {
				vars, _ := e["Variables"].(map[string]any)
				for k := range vars {
					set[k] = true
				}
			}
			for _, v := range need {
				if !set[v] {
					t.Errorf("%s reads %s; the template does not set it", id, v)
				}
			}
			for v := range set {
				if !slices.Contains(need, v) {
					t.Errorf("the template sets %s for %s, which never reads it", v, id)
				}
			}
		})
	}
}

// iamAction maps each SDK operation the code can call to the IAM action
// that allows it. An operation missing here fails the test, so a new call
// cannot reach production without its permission being considered.
var iamAction = map[string]string{
	"StartExecution":     "states:StartExecution",
	"HeadObject":         "s3:GetObject",
	"GetObject":          "s3:GetObject",
	"PresignGetObject":   "s3:GetObject",
	"PutObject":          "s3:PutObject",
	"PresignPostObject":  "s3:PutObject",
	"DeleteObject":       "s3:DeleteObject",
	"ListObjectsV2":      "s3:ListBucket",
	"ListObjectVersions": "s3:ListBucketVersions",
	"PostToConnection":   "execute-api:ManageConnections",
	"GetSecretValue":     "secretsmanager:GetSecretValue",
}

func TestPoliciesGrantExactlyTheCallsEachFunctionMakes(t *testing.T) {
	tpl := loadTemplate(t)
	for id, fn := range functions {
		t.Run(id, func(t *testing.T) {
			calls := map[string]bool{}
			sdkCalls(reflect.ValueOf(fn.build(new(Env))), calls, map[uintptr]bool{})
			src, _ := os.ReadFile(filepath.Join(repoRoot, fn.pkg, "main.go"))
			if strings.Contains(string(src), "TokenKey(") {
				calls["GetSecretValue"] = true
			}
			need := map[string]bool{}
			if _, ok := fn.build(new(Env)).(*pipeline.Convert); ok {
				// GetObject with a VersionId (the version the event
				// announced) is authorised by s3:GetObjectVersion.
				need["s3:GetObjectVersion"] = true
			}
			if _, ok := fn.build(new(Env)).(*websocket.Handler); ok {
				// "delete" removes each version of the original: DeleteObject
				// with a VersionId is authorised by s3:DeleteObjectVersion.
				need["s3:DeleteObjectVersion"] = true
			}
			for op := range calls {
				a, ok := iamAction[op]
				if !ok {
					t.Errorf("%s can call %s, which has no IAM mapping in this test", id, op)
				}
				need[a] = true
			}
			granted := policyActions(tpl.Resources[id].Properties["Policies"])
			for a := range need {
				if !granted[a] {
					t.Errorf("%s calls %s but its policies do not allow it", id, a)
				}
			}
			for a := range granted {
				if !need[a] {
					t.Errorf("%s is granted %s but never needs it (least privilege)", id, a)
				}
			}
			if len(need) == 0 {
				t.Error("found no SDK calls at all; the inspection is broken")
			}
		})
	}
}

// sdkCalls walks the handler's value graph and collects the methods of
// every interface field whose methods take an aws-sdk-go-v2 service input:
// those narrow interfaces are exactly what the handler can call.
func sdkCalls(v reflect.Value, calls map[string]bool, seen map[uintptr]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		if !strings.HasPrefix(v.Type().Elem().PkgPath(), "thumbflow") {
			return
		}
		sdkCalls(v.Elem(), calls, seen)
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		t := v.Type()
		for i := 0; i < t.NumMethod(); i++ {
			m := t.Method(i)
			if m.Type.NumIn() >= 2 && m.Type.In(1).Kind() == reflect.Pointer &&
				strings.HasPrefix(m.Type.In(1).Elem().PkgPath(), "github.com/aws/aws-sdk-go-v2/service/") {
				calls[m.Name] = true
			}
		}
		sdkCalls(v.Elem(), calls, seen)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			sdkCalls(v.Field(i), calls, seen)
		}
	}
}

func policyActions(policies any) map[string]bool {
	out := map[string]bool{}
	list, _ := policies.([]any)
	for _, p := range list {
		pm, _ := p.(map[string]any)
		stmts, _ := pm["Statement"].([]any)
		for _, s := range stmts {
			sm, _ := s.(map[string]any)
			switch a := sm["Action"].(type) {
			case string:
				out[a] = true
			case []any:
				for _, x := range a {
					out[fmt.Sprint(x)] = true
				}
			}
		}
	}
	return out
}

type state struct {
	Type    string `json:"Type"`
	Next    string `json:"Next"`
	Default string `json:"Default"`
	End     bool   `json:"End"`
	Choices []struct {
		Next string `json:"Next"`
	} `json:"Choices"`
	Retry []struct {
		ErrorEquals    []string `json:"ErrorEquals"`
		JitterStrategy string   `json:"JitterStrategy"`
	} `json:"Retry"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
}

type definition struct {
	StartAt       string           `json:"StartAt"`
	QueryLanguage string           `json:"QueryLanguage"`
	States        map[string]state `json:"States"`
}

var substitution = regexp.MustCompile(`\$\{(\w+)\}`)

func TestStateMachineMatchesTemplate(t *testing.T) {
	tpl := loadTemplate(t)
	var machine resource
	for _, r := range tpl.Resources {
		if r.Type == "AWS::Serverless::StateMachine" {
			machine = r
		}
	}
	uri, _ := machine.Properties["DefinitionUri"].(string)
	raw, err := os.ReadFile(filepath.Join(repoRoot, uri))
	if err != nil {
		t.Fatalf("DefinitionUri %q: %v", uri, err)
	}
	subs, _ := machine.Properties["DefinitionSubstitutions"].(map[string]any)
	for _, m := range substitution.FindAllStringSubmatch(string(raw), -1) {
		if _, ok := subs[m[1]]; !ok {
			t.Errorf("the ASL uses ${%s}; DefinitionSubstitutions does not define it", m[1])
		}
	}
	var def definition
	if err := json.Unmarshal(raw, &def); err != nil {
		t.Fatalf("ASL does not parse: %v", err)
	}
	if def.QueryLanguage != "JSONPath" {
		t.Errorf("QueryLanguage = %q", def.QueryLanguage)
	}
	if _, ok := def.States[def.StartAt]; !ok {
		t.Errorf("StartAt %q is not a state", def.StartAt)
	}
	for name, s := range def.States {
		targets := []string{s.Next, s.Default}
		for _, c := range s.Choices {
			targets = append(targets, c.Next)
		}
		for _, c := range s.Catch {
			targets = append(targets, c.Next)
		}
		for _, n := range targets {
			if _, ok := def.States[n]; n != "" && !ok {
				t.Errorf("state %s goes to %q, which does not exist", name, n)
			}
		}
		for _, r := range s.Retry {
			for _, code := range upload.PermanentCodes() {
				if slices.Contains(r.ErrorEquals, code) {
					t.Errorf("state %s retries %s, a permanent error", name, code)
				}
			}
			if r.JitterStrategy != "FULL" {
				t.Errorf("state %s retries without FULL jitter", name)
			}
		}
		if s.Type == "Task" && (len(s.Catch) == 0 || !slices.Contains(s.Catch[len(s.Catch)-1].ErrorEquals, "States.ALL")) {
			t.Errorf("task %s does not catch States.ALL: a failure could end the execution without a status", name)
		}
	}
	// The functions the ASL calls are the ones the machine may invoke.
	for key, v := range subs {
		ref := strings.TrimSuffix(fmt.Sprint(v), ".Arn")
		if _, ok := functions[ref]; !ok {
			t.Errorf("substitution %s = %v names no function of the template", key, v)
		}
		if !strings.Contains(fmt.Sprint(machine.Properties["Policies"]), "FunctionName:"+ref) {
			t.Errorf("the state machine may not invoke %s", ref)
		}
	}
}

// TestWebConfigOutputMatchesTheServerLimits keeps the config.json the stack
// publishes for the browser in step with what the server enforces, so the
// page refuses exactly what the pipeline would.
func TestWebConfigOutputMatchesTheServerLimits(t *testing.T) {
	var doc struct {
		Outputs map[string]struct {
			Value string `yaml:"Value"`
		} `yaml:"Outputs"`
	}
	templatetest.Decode(t, filepath.Join(repoRoot, "template.yaml"), nil, &doc)
	var got web.Config
	if err := json.Unmarshal([]byte(doc.Outputs["WebConfig"].Value), &got); err != nil {
		t.Fatalf("WebConfig output is not JSON: %v", err)
	}
	spec := thumbnail.DefaultSpec()
	want := web.Config{WebsocketURL: got.WebsocketURL, MaxBytes: spec.Limits.MaxBytes, Types: thumbnail.AcceptedContentTypes()}
	for _, r := range spec.Renditions {
		want.Renditions = append(want.Renditions, web.Rendition{Name: r.Name, Width: r.Width, Height: r.Height})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WebConfig output = %+v\nserver enforces  %+v", got, want)
	}
	if !strings.HasPrefix(got.WebsocketURL, "wss://${WebSocketApi}.execute-api.") {
		t.Errorf("websocketUrl = %q", got.WebsocketURL)
	}
}
