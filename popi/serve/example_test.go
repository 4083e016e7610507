package serve_test

import (
	"log"
	"net/http"

	"github.com/popi-go/popi/llama"
	"github.com/popi-go/popi/popi/data"
	"github.com/popi-go/popi/popi/prompt"
	"github.com/popi-go/popi/popi/serve"
)

// Embedding the server in a program: a model, its tokenizer, a user store, and the
// handler on any net/http server.
func Example() {
	m, err := llama.Load("models/popi-tiny", llama.LoadOptions{})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := llama.LoadTokenizer("models/popi-tiny")
	if err != nil {
		log.Fatal(err)
	}
	store, err := serve.OpenStore("users.db")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	s, err := serve.New(m, serve.Options{ModelName: "popi-tiny", Tokenizer: tok, Store: store,
		Prompting: prompt.Prompting{Family: data.FamilyELIX}, Engine: serve.EngineOptions{MaxBatch: 16}})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", s))
}
