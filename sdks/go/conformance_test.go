package tessera_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/tessera-licensing/tessera/sdks/go/tesseratest"
)

// The conformance scenarios (sdks/conformance/scenarios.json, README.md there) with the Go SDK against real
// License Managers: world steps go to a world server started here (two, for two scenarios at once), SDK steps are done
// here with Connect and Watch on a clock the steps move ahead. The TypeScript SDK runs the same file.

type scenario struct {
	Name  string           `json:"name"`
	Steps []map[string]any `json:"steps"`
}

func TestConformanceScenarios(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "conformance", "scenarios.json"))
	if err != nil {
		t.Fatalf("the conformance scenarios are missing: %v", err)
	}
	var doc struct {
		Scenarios []scenario `json:"scenarios"`
	}
	if err := json.Unmarshal(text, &doc); err != nil {
		t.Fatal(err)
	}
	// Scenarios run two at a time, each in a world server of its own (a world runs one scenario at a time).
	worlds := make(chan string, scenarioWorkers)
	for i := 0; i < scenarioWorkers; i++ {
		worlds <- startWorld(t)
	}
	t.Run("each", func(t *testing.T) {
		for _, sc := range doc.Scenarios {
			sc := sc // each parallel subtest its own (go 1.21 semantics)
			t.Run(sc.Name, func(t *testing.T) {
				t.Parallel()
				world := <-worlds
				defer func() { worlds <- world }()
				var info struct {
					Product string `json:"product"`
					Root    string `json:"root"`
				}
				getJSON(t, world+"/info", &info)
				run := &scenarioRun{t: t, world: world, product: info.Product, root: info.Root, clock: tesseratest.NewClock(), instances: map[string]*instance{}}
				defer func() {
					run.close()
					postJSON(t, world+"/reset", map[string]any{}, nil)
				}()
				for i, step := range sc.Steps {
					if err := run.step(step); err != nil {
						shown, _ := json.Marshal(step)
						t.Fatalf("step %d %s: %v", i+1, shown, err)
					}
				}
			})
		}
	})
}

// scenarioWorkers: how many scenarios run at once, each against its own world server.
const scenarioWorkers = 2

// startWorld starts a world server (node with tsx, from the repository root).
func startWorld(t *testing.T) string {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	node := os.Getenv("TESSERA_NODE") // the Node.js of the npm test run that started go test
	var err error
	if node == "" {
		node, err = exec.LookPath("node")
	}
	if err != nil {
		t.Fatal("node is not on PATH: the conformance scenarios need it to run the world server and tessera-lm (Node.js 20 or later)")
	}
	cmd := exec.Command(node, "--conditions=@tessera/source", "--import", "tsx", filepath.Join("sdks", "conformance", "world", "main.ts"))
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe() // the world server stops when this closes
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatalf("the world server does not start: %v", err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("the world server did not say where it listens: %v", err)
	}
	var ready struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(line), &ready); err != nil || ready.URL == "" {
		t.Fatalf("the world server said %q", line)
	}
	return ready.URL
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	response, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	if err := json.NewDecoder(response.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

func postJSON(t *testing.T, url string, body any, into any) {
	t.Helper()
	text, _ := json.Marshal(body)
	response, err := http.Post(url, "application/json", bytes.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	if into != nil {
		if err := json.NewDecoder(response.Body).Decode(into); err != nil {
			t.Fatal(err)
		}
	}
}
