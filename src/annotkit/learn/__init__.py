"""Learning from corrections: the learned engine behind ``annotkit train`` and ``rank``.

What annotators kept, changed, added and deleted is read off by comparing their spans with
what the rules propose on the same texts (the rules are deterministic). From that:

* :mod:`annotkit.learn.vocab` - project terms and context exclusions (``terms.tsv``,
  ``exclusions.tsv``; the packaged lexicons are never written);
* :mod:`annotkit.learn.features` / :mod:`annotkit.learn.crf` - a linear-chain CRF over fine
  tokens that sees the rules' proposals, lexicon and project-term hits as features, so it
  learns where annotators moved span edges;
* :mod:`annotkit.learn.policy` - per label and language, which source wins (chosen by
  cross-validation inside training), and calibrated scores;
* :mod:`annotkit.learn.engine` - a model folder loaded and applied to documents
  (``annotate --engine ensemble``);
* :mod:`annotkit.learn.trainer` - cross-validation, final fit, the stanza tagger, the card;
* :mod:`annotkit.learn.rank` - active learning order; :mod:`annotkit.learn.vectors` - word
  vectors from an unlabelled corpus for stanza.

EXAMPLE:
    >>> from annotkit.learn import load_learned_model, train_learned
    >>> card = train_learned(docs, name="ner", models_dir="models")
    >>> load_learned_model(card.path).predict(doc)
"""

from __future__ import annotations

from annotkit.learn.engine import LearnedModel, load_learned_model
from annotkit.learn.rank import rank_documents
from annotkit.learn.trainer import LearnConfig, learn, train_learned

__all__ = [
    "LearnConfig",
    "LearnedModel",
    "learn",
    "load_learned_model",
    "rank_documents",
    "train_learned",
]
