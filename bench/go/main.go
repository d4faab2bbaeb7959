// Reference figures from Go itself for the same workloads the toolkit's
// benchmarks run (ported in bench/rows.ts and bench/memory.ts). Build and
// run from this directory: `go run .`, and `GOMAXPROCS=1 go run .` for the
// single-thread figures (Debian's golang-go package is enough). Prints one
// line per workload: name, ops, ns/op, and for the memory workload bytes per
// blocked goroutine. The recorded figures are in README.md next to this file.
package main

import (
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"sync"
	"time"
)

func timeit(name string, ops int, f func()) {
	f() // warm-up
	runtime.GC()
	start := time.Now()
	f()
	el := time.Since(start)
	fmt.Printf("%-28s ops=%-9d ns/op=%.1f\n", name, ops, float64(el.Nanoseconds())/float64(ops))
}

func main() {
	const n = 1_000_000

	timeit("unbuffered-pingpong", n, func() {
		ping, pong := make(chan int), make(chan int)
		go func() {
			for v := range ping {
				pong <- v
			}
			close(pong)
		}()
		for i := 0; i < n; i++ {
			ping <- i
			<-pong
		}
		close(ping)
	})

	for _, capacity := range []int{1, 64, 1024} {
		c := capacity
		timeit(fmt.Sprintf("buffered-spsc-cap%d", c), n, func() {
			ch := make(chan int, c)
			done := make(chan struct{})
			go func() {
				for range ch {
				}
				close(done)
			}()
			for i := 0; i < n; i++ {
				ch <- i
			}
			close(ch)
			<-done
		})
	}

	timeit("mpmc-4x4-cap64", n, func() {
		ch := make(chan int, 64)
		var prod, cons sync.WaitGroup
		for p := 0; p < 4; p++ {
			prod.Add(1)
			go func() {
				defer prod.Done()
				for i := 0; i < n/4; i++ {
					ch <- i
				}
			}()
		}
		for c := 0; c < 4; c++ {
			cons.Add(1)
			go func() {
				defer cons.Done()
				for range ch {
				}
			}()
		}
		prod.Wait()
		close(ch)
		cons.Wait()
	})

	timeit("select-recv-4", n, func() {
		chs := [4]chan int{make(chan int, 16), make(chan int, 16), make(chan int, 16), make(chan int, 16)}
		go func() {
			r := rand.New(rand.NewSource(1))
			for i := 0; i < n; i++ {
				chs[r.Intn(4)] <- i
			}
		}()
		for i := 0; i < n; i++ {
			select {
			case <-chs[0]:
			case <-chs[1]:
			case <-chs[2]:
			case <-chs[3]:
			}
		}
	})

	timeit("mutex-contended-64", n, func() {
		var mu sync.Mutex
		var wg sync.WaitGroup
		counter := 0
		for g := 0; g < 64; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < n/64; i++ {
					mu.Lock()
					counter++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	})

	timeit("waitgroup-spawn-join", 100_000, func() {
		var wg sync.WaitGroup
		for i := 0; i < 100_000; i++ {
			wg.Add(1)
			go func() { wg.Done() }()
		}
		wg.Wait()
	})

	timeit("bounded-10k-limit100", 10_000, func() {
		sem := make(chan struct{}, 100)
		var wg sync.WaitGroup
		for i := 0; i < 10_000; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				runtime.Gosched()
				<-sem
			}()
		}
		wg.Wait()
	})

	// Memory held by goroutines blocked on a channel receive.
	const blocked = 100_000
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ch := make(chan int)
	var ready sync.WaitGroup
	ready.Add(blocked)
	for i := 0; i < blocked; i++ {
		go func() { ready.Done(); <-ch }()
	}
	ready.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	fmt.Printf("%-28s n=%d bytes/blocked=%.0f\n", "blocked-goroutine-memory", blocked,
		float64(after.Sys-before.Sys)/float64(blocked))
	close(ch)
	fmt.Fprintf(os.Stderr, "GOMAXPROCS=%d %s\n", runtime.GOMAXPROCS(0), runtime.Version())
}
