"""Finding prompts by their words, with each database's own full-text engine: SQLite's FTS5 (an
external-content table kept in step by triggers) and PostgreSQL's tsvector (a generated column
with a GIN index), both made by migration 0008_prompt_search.

Every word a member types must be in the prompt, in any order, each as the start of a word:
"neon car" finds "a vintage car driving through a rainy neon city". What is typed never reaches
either engine's query syntax: it is split into words here and each word is quoted."""

from __future__ import annotations

import re

from django.db import NotSupportedError
from django.db.models import Lookup

# The words of a query as both engines split text (FTS5's unicode61 and PostgreSQL's parser
# agree on runs of letters and digits; anything else, "_" included, separates words).
WORD = re.compile(r"[^\W_]+")
# More words than anyone types into a search box; past this a query only costs more.
MAX_WORDS = 12
# A search whose prompts are used by at most this many clips is read through those prompts
# (generations' prompt index, then a sort of the few); a broader one walks the gallery newest first
# (gallery_order) until a page is full. Neither database can tell which from its statistics (a
# prefix's matches are a guess to both), so the studio asks first: see GenerationQuerySet.
FEW_CLIPS = 3000
# The FTS5 table, and PostgreSQL's generated column on generations_prompt.
FTS5_TABLE = "generations_prompt_search"
TSVECTOR_COLUMN = "search_vector"


def search_words(query: str) -> list[str]:
    """The distinct words of `query`, lower-cased, in the order typed (at most MAX_WORDS)."""
    words = dict.fromkeys(word.lower() for word in WORD.findall(query))
    return list(words)[:MAX_WORDS]


def fts5_query(words: list[str]) -> str:
    """`"neon"* "car"*`: each word a quoted prefix (so OR, NOT or NEAR are words, not operators);
    FTS5 joins them with AND."""
    return " ".join(f'"{word}"*' for word in words)


def tsquery(words: list[str]) -> str:
    """`'neon':* & 'car':*` for to_tsquery: each word quoted, as a prefix, all of them."""
    return " & ".join(f"'{word}':*" for word in words)


class PromptHasWords(Lookup):
    """True where the prompt whose id is `prompt_id` (an expression) holds every one of `words`
    (each as a prefix): `<prompt id> IN (ids the engine finds)`, for prompts and clips alike. A
    Lookup, so SQLite gets the condition itself rather than "(condition) = 1", which no index
    serves.

    `walk=True` asks for it as a test of each row, for a search known to find many clips: the
    gallery is then walked newest first until a page is full, rather than every clip of the
    prompts found read through the prompt index and sorted (which both planners prefer, not
    knowing how many a prefix finds). On SQLite a unary + keeps the index out of it; on
    PostgreSQL the test looks the clip's prompt up (a subquery it can't turn into a join)."""

    lookup_name = "has_words"
    prepare_rhs = False

    def __init__(self, prompt_id, words: list[str], *, walk: bool = False) -> None:
        if not words:
            raise ValueError("a search needs at least one word")
        super().__init__(prompt_id, (tuple(words), walk))

    @property
    def words(self) -> list[str]:
        return list(self.rhs[0])

    def as_sqlite(self, compiler, connection):
        column, params = compiler.compile(self.lhs)
        found = f"SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s"
        walk = "+" if self.rhs[1] else ""
        return f"{walk}{column} IN ({found})", (*params, fts5_query(self.words))

    def as_postgresql(self, compiler, connection):
        column, params = compiler.compile(self.lhs)
        matches = f"{TSVECTOR_COLUMN} @@ to_tsquery('simple'::regconfig, %s)"
        if self.rhs[1]:  # walk
            sql = f"(SELECT {matches} FROM generations_prompt WHERE id = {column})"
            return sql, (tsquery(self.words), *params)
        found = f"SELECT id FROM generations_prompt WHERE {matches}"
        return f"{column} IN ({found})", (*params, tsquery(self.words))

    def as_sql(self, compiler, connection):
        raise NotSupportedError("Prompt search needs SQLite (FTS5) or PostgreSQL.")
