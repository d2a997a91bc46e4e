"""English extraction rules over a spaCy dependency parse.

* :mod:`.mentions` finds entity mentions: NER spans, proper-noun runs,
  numbers/dates/codes and bare common-noun arguments;
* :mod:`.pronouns` resolves he/she/it/they (and possessives) to a recent subject;
* :mod:`.relations` links mentions that are adjacent in the dependency tree
  and reads a short predicate and the argument order off the path between them.
"""
