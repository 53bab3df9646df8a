//go:build unix

package ticketsync_test

import (
	"syscall"
	"testing"
	"time"
)

// cpuClock reads the CPU time the process has used, all threads together.
// On a shared machine it varies far less than wall time, so benchmarks
// report it beside ns/op as cpu-ns/op.
func cpuClock() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time used since start per operation, as
// cpu-ns/op, and per unit of work when perOp > 1, as cpu-ns/<unit>.
func reportCPU(b *testing.B, start time.Duration, perOp int, unit string) {
	used := float64(cpuClock() - start)
	b.ReportMetric(used/float64(b.N), "cpu-ns/op")
	if perOp > 1 {
		b.ReportMetric(used/float64(b.N*perOp), "cpu-ns/"+unit)
	}
}
