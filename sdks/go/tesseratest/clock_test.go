package tesseratest

import (
	"testing"
	"time"
)

func TestAdvanceRunsWhatIsDueInOrderAndNothingElse(t *testing.T) {
	clock := NewClock()
	var ran []string
	clock.AfterFunc(3*time.Hour, func() { ran = append(ran, "3h") })
	clock.AfterFunc(time.Hour, func() { ran = append(ran, "1h") })
	stopped := clock.AfterFunc(2*time.Hour, func() { ran = append(ran, "2h") })
	clock.AfterFunc(72*time.Hour, func() { ran = append(ran, "72h") })
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop answers true once, for a call not yet run")
	}
	before := clock.Elapsed()
	clock.Advance(3 * time.Hour)
	if got := clock.Elapsed() - before; got < 3*time.Hour {
		t.Fatalf("Elapsed moved by %s", got)
	}
	if len(ran) != 2 || ran[0] != "1h" || ran[1] != "3h" || clock.Pending() != 1 {
		t.Fatalf("ran %v, %d pending", ran, clock.Pending())
	}
	wall := clock.Now()
	clock.Shift(-time.Hour)
	if clock.Now().After(wall.Add(-59 * time.Minute)) {
		t.Fatal("Shift did not move the wall clock back")
	}
}
