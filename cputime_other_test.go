//go:build !unix

package ticketsync_test

import (
	"testing"
	"time"
)

func cpuClock() time.Duration { return 0 }

func reportCPU(b *testing.B, start time.Duration, perOp int, unit string) {}
