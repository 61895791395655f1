package jsonata

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// suiteDir is the JSONata reference test suite (jsonata-js 2.2.2), kept
// beside the repository: ../shared from the repository root.
const suiteDir = "../../../shared/jsonata-suite"

type suiteCase struct {
	Expr            string          `json:"expr"`
	Data            json.RawMessage `json:"data"`
	Dataset         *string         `json:"dataset"`
	Bindings        map[string]any  `json:"bindings"`
	Timelimit       int             `json:"timelimit"`
	Depth           int             `json:"depth"`
	Result          json.RawMessage `json:"result"`
	UndefinedResult bool            `json:"undefinedResult"`
	Code            string          `json:"code"`
	ExprFile        string          `json:"expr-file"`
	Error           *struct {
		Code string `json:"code"`
	} `json:"error"`
	raw map[string]json.RawMessage
}

type namedCase struct {
	name  string
	group string
	c     suiteCase
}

func loadSuite(t testing.TB) []namedCase {
	files, err := filepath.Glob(filepath.Join(suiteDir, "groups", "*", "*.json"))
	if err != nil || len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("JSONata test suite not found at %s (CI=true): the suite must be present in CI", suiteDir)
		}
		t.Skipf("\n\n*** JSONata test suite not found at %s: SKIPPING the suite run ***\n", suiteDir)
	}
	sort.Strings(files)
	var out []namedCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		group := filepath.Base(filepath.Dir(f))
		base := group + "/" + filepath.Base(f)
		var raws []json.RawMessage
		if strings.HasPrefix(strings.TrimSpace(string(b)), "[") {
			if err := json.Unmarshal(b, &raws); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		} else {
			raws = []json.RawMessage{b}
		}
		for i, r := range raws {
			var c suiteCase
			if err := json.Unmarshal(r, &c); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if err := json.Unmarshal(r, &c.raw); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if raw, ok := c.raw["expr"]; ok && loneSurrogate.Match(raw) {
				c.Expr = decodeWTF8(raw)
			}
			if c.ExprFile != "" {
				src, err := os.ReadFile(filepath.Join(filepath.Dir(f), c.ExprFile))
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				c.Expr = string(src)
			}
			if c.Error != nil && c.Code == "" {
				c.Code = c.Error.Code
			}
			name := base
			if len(raws) > 1 {
				name = fmt.Sprintf("%s[%d]", base, i)
			}
			out = append(out, namedCase{name: name, group: group, c: c})
		}
	}
	return out
}

var datasetCache = map[string]any{}

func caseInput(t testing.TB, c suiteCase) any {
	if _, ok := c.raw["data"]; ok {
		v, err := Decode(c.Data)
		if err != nil {
			t.Fatalf("data: %v", err)
		}
		return v
	}
	if c.Dataset == nil {
		return nil
	}
	if v, ok := datasetCache[*c.Dataset]; ok {
		return v
	}
	b, err := os.ReadFile(filepath.Join(suiteDir, "datasets", *c.Dataset+".json"))
	if err != nil {
		t.Fatalf("dataset: %v", err)
	}
	v, err := Decode(b)
	if err != nil {
		t.Fatalf("dataset: %v", err)
	}
	datasetCache[*c.Dataset] = v
	return v
}

// runCase evaluates one case and returns "" when it passes, else why not.
func runCase(t testing.TB, c suiteCase) string {
	expr, err := Compile(c.Expr)
	if err == nil {
		limit := 2 * time.Second
		if c.Timelimit > 0 {
			limit = time.Duration(c.Timelimit) * time.Millisecond
		}
		opts := &Options{Bindings: c.Bindings, MaxDepth: c.Depth, Timeout: limit}
		var res any
		res, err = expr.EvaluateRaw(context.Background(), caseInput(t, c), opts)
		if err == nil {
			return compareResult(c, res)
		}
	}
	code := ""
	if je, ok := err.(*Error); ok {
		code = je.Code
	}
	if c.Code != "" {
		if code == c.Code {
			return ""
		}
		return fmt.Sprintf("expected error %s, got %v", c.Code, err)
	}
	return fmt.Sprintf("unexpected error: %v", err)
}

func compareResult(c suiteCase, res any) string {
	if c.Code != "" {
		got, _ := json.Marshal(ToJSON(res))
		return fmt.Sprintf("expected error %s, got result %s", c.Code, got)
	}
	if res == nil {
		if c.UndefinedResult {
			return ""
		}
		return fmt.Sprintf("expected %s, got undefined", c.Result)
	}
	got, err := json.Marshal(ToJSON(res))
	if err != nil {
		return fmt.Sprintf("result does not marshal: %v", err)
	}
	if c.UndefinedResult {
		return fmt.Sprintf("expected undefined, got %s", got)
	}
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		return err.Error()
	}
	if err := json.Unmarshal(c.Result, &b); err != nil {
		return err.Error()
	}
	if !reflect.DeepEqual(a, b) {
		return fmt.Sprintf("expected %s, got %s", c.Result, got)
	}
	return ""
}

func readKnownFailures(t *testing.T) map[string]string {
	known := map[string]string{}
	f, err := os.Open("testdata/known-failures.txt")
	if err != nil {
		return known
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		known[name] = strings.TrimSpace(reason)
	}
	return known
}

// TestSuite runs the JSONata reference suite, prints the pass rate per
// group and overall, and fails on any failure not listed in
// testdata/known-failures.txt, or any listed case that now passes.
func TestSuite(t *testing.T) {
	cases := loadSuite(t)
	known := readKnownFailures(t)
	type tally struct{ pass, total int }
	groups := map[string]*tally{}
	var failures []string
	total, passed := 0, 0
	for _, nc := range cases {
		g := groups[nc.group]
		if g == nil {
			g = &tally{}
			groups[nc.group] = g
		}
		g.total++
		total++
		why := runCase(t, nc.c)
		if why == "" {
			g.pass++
			passed++
			if _, ok := known[nc.name]; ok {
				t.Errorf("%s passes but is listed in testdata/known-failures.txt: remove it", nc.name)
			}
			continue
		}
		failures = append(failures, nc.name+" "+oneLine(why))
		if _, ok := known[nc.name]; !ok {
			t.Errorf("%s: %s\n  expr: %s", nc.name, why, nc.c.Expr)
		}
	}
	names := make([]string, 0, len(groups))
	for n := range groups {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "JSONata suite pass rate by group:\n")
	for _, n := range names {
		g := groups[n]
		mark := ""
		if g.pass < g.total {
			mark = "  <"
		}
		fmt.Fprintf(&b, "  %-32s %4d/%-4d %6.1f%%%s\n", n, g.pass, g.total, 100*float64(g.pass)/float64(g.total), mark)
	}
	fmt.Fprintf(&b, "overall: %d/%d passed (%.2f%%)\n", passed, total, 100*float64(passed)/float64(total))
	fmt.Print(b.String())
	if out := os.Getenv("JSONATA_FAILURES_OUT"); out != "" {
		os.WriteFile(out, []byte(strings.Join(failures, "\n")+"\n"), 0o644)
	}
}

// loneSurrogate finds a \uD800-\uDFFF escape in raw JSON.
var loneSurrogate = regexp.MustCompile(`(?i)\\ud[89a-f][0-9a-f]{2}`)

// decodeWTF8 decodes a JSON string keeping unpaired UTF-16 surrogates as
// their (invalid UTF-8) three-byte encoding, where encoding/json would
// substitute U+FFFD. A JavaScript string may hold a lone surrogate, and a
// Go string can hold these bytes, so the case tests what it means to: that
// the evaluator rejects text that is not valid Unicode.
func decodeWTF8(raw []byte) string {
	s := string(raw[1 : len(raw)-1])
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b = append(b, s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		case 'r':
			b = append(b, '\r')
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'u':
			cp, _ := strconv.ParseUint(s[i+1:i+5], 16, 32)
			i += 4
			r := rune(cp)
			if r >= 0xD800 && r < 0xDC00 && strings.HasPrefix(s[i+1:], "\\u") {
				if lo, err := strconv.ParseUint(s[i+3:i+7], 16, 32); err == nil && lo >= 0xDC00 && lo < 0xE000 {
					r = (r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
					i += 6
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				b = append(b, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
			} else {
				b = utf8.AppendRune(b, r)
			}
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
