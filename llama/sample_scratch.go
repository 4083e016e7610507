package llama

import "sync"

// scratchPool hands out sampling buffers to concurrent chunks of a decode
// step: it holds at most as many as ever ran at once, and they persist
// across steps, so a step allocates nothing once warmed up.
type scratchPool struct {
	mu   sync.Mutex
	free []*sampleScratch
}

func (p *scratchPool) get() *sampleScratch {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		sc := p.free[n-1]
		p.free = p.free[:n-1]
		return sc
	}
	return new(sampleScratch)
}

func (p *scratchPool) put(sc *sampleScratch) {
	p.mu.Lock()
	p.free = append(p.free, sc)
	p.mu.Unlock()
}
