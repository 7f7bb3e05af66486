"""The full-text index over prompts stays right whatever happens to a prompt: made (one at a time
or in bulk), edited (saved or updated), deleted; and migration 0008 builds it for the prompts
already there. Asked of the engine itself (the FTS5 table on SQLite, the tsvector column on
PostgreSQL), so an entry left behind shows even where the join back to the prompt would hide it."""

import importlib

import pytest
from django.db import connection

from generations.models import Prompt
from generations.models.search import FTS5_TABLE, fts5_query, search_words, tsquery

migration = importlib.import_module("generations.migrations.0008_prompt_search")


def ids_the_index_finds(query: str) -> set[int]:
    """What the engine's own index answers for `query`, without looking at generations_prompt
    (where a stale entry would be filtered out)."""
    words = search_words(query)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT rowid FROM {FTS5_TABLE} WHERE {FTS5_TABLE} MATCH %s",
                           [fts5_query(words)])  # fmt: skip
        else:
            cursor.execute("SELECT id FROM generations_prompt "
                           "WHERE search_vector @@ to_tsquery('simple', %s)", [tsquery(words)])  # fmt: skip
        return {row[0] for row in cursor.fetchall()}


def index_agrees_with_the_prompts() -> None:
    """SQLite: FTS5's own check of its index against generations_prompt (raises if they differ).
    PostgreSQL: every row's tsvector is the one its text gives."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"INSERT INTO {FTS5_TABLE}({FTS5_TABLE}, rank) VALUES ('integrity-check', 1)")  # fmt: skip
        else:
            cursor.execute("SELECT count(*) FROM generations_prompt "
                           "WHERE search_vector IS DISTINCT FROM to_tsvector('simple', text)")  # fmt: skip
            assert cursor.fetchone()[0] == 0


@pytest.fixture
def heron(alice) -> Prompt:
    return Prompt.record_use("A grey heron taking off from a misty lake", alice)


def test_a_new_prompt_is_found_at_once(heron):
    assert ids_the_index_finds("misty heron") == {heron.pk}
    assert list(Prompt.objects.search("heron mist")) == [heron]
    index_agrees_with_the_prompts()


def test_prompts_made_in_bulk_are_found(alice):
    made = Prompt.objects.bulk_create(
        [Prompt(text=f"Lantern festival, take {n}", digest=Prompt.digest_of(f"lantern {n}"))
         for n in range(50)]
    )  # fmt: skip
    assert len(Prompt.objects.search("lantern festival")) == 50
    assert ids_the_index_finds("lantern take") == {prompt.pk for prompt in Prompt.objects.all()}
    assert made and ids_the_index_finds("festival") >= {p.pk for p in Prompt.objects.all()}
    index_agrees_with_the_prompts()


def test_an_edited_prompt_is_found_by_its_new_words_only(heron):
    heron.text = "A white stork landing on a chimney"
    heron.save()
    assert ids_the_index_finds("heron") == set()
    assert ids_the_index_finds("stork chimney") == {heron.pk}
    index_agrees_with_the_prompts()


def test_a_prompt_updated_in_the_database_is_found_by_its_new_words_only(heron):
    Prompt.objects.filter(pk=heron.pk).update(text="Fireflies over a summer meadow")
    assert ids_the_index_finds("misty") == set()
    assert list(Prompt.objects.search("firefl meadow")) == [heron]
    index_agrees_with_the_prompts()


def test_counting_a_use_leaves_the_index_as_it_was(heron, bob):
    Prompt.record_use(heron.text, bob)  # an UPDATE of use_count and last_used_at only
    assert ids_the_index_finds("heron") == {heron.pk}
    index_agrees_with_the_prompts()


def test_a_deleted_prompt_leaves_the_index(heron, alice):
    other = Prompt.record_use("A heron fishing at dawn", alice)
    heron.delete()
    assert ids_the_index_finds("heron") == {other.pk}
    Prompt.objects.filter(pk=other.pk).delete()
    assert ids_the_index_finds("heron") == set()
    index_agrees_with_the_prompts()


class SchemaEditor:
    """What the migration's functions use of a schema editor, inside the test's transaction
    (Django's SQLite schema editor refuses to run in one; the DDL rolls back with it)."""

    def __init__(self) -> None:
        self.connection = connection

    def execute(self, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_migration_builds_the_index_for_prompts_already_there(alice):
    migration.drop_index(None, SchemaEditor())
    before = [Prompt.record_use(f"An old tram in Lisbon, take {n}", alice) for n in range(3)]
    if connection.vendor == "postgresql":  # as at a migration's start: no deferred checks due
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    migration.create_index(None, SchemaEditor())
    assert ids_the_index_finds("lisbon tram") == {prompt.pk for prompt in before}
    index_agrees_with_the_prompts()
    later = Prompt.record_use("A tram at night", alice)  # and it follows changes from then on
    assert ids_the_index_finds("tram") == {prompt.pk for prompt in [*before, later]}
