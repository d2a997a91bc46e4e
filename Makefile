# Two commands: `make demo` builds the example graph and answers a query; `make test` runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WORKSPACE ?= kg-workspace
QUERY := PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema\#> PREFIX schema: <https://schema.org/> \
  PREFIX rel: <https://kg-pipeline.example.org/relation/> \
  SELECT DISTINCT ?person ?person_bn ?place WHERE { ?p rel:birthPlace ?c . ?c a schema:Place . \
  ?p rdfs:label ?person , ?person_bn . ?c rdfs:label ?place . \
  FILTER(lang(?person) = "en" && lang(?person_bn) = "bn" && lang(?place) = "en") } ORDER BY ?person

.PHONY: install demo test bench clean

$(BIN)/kg: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(BIN)/kg

install: $(BIN)/kg

demo: install
	$(BIN)/kg build examples/corpus --workspace $(WORKSPACE)
	$(BIN)/kg query '$(QUERY)' --workspace $(WORKSPACE)

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(WORKSPACE) .pytest_cache
