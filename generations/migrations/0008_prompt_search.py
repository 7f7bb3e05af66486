"""The full-text index over prompts (generations/models/search.py reads it), in each database's
own engine, built for the prompts already there and kept in step by the database itself:

- SQLite: an FTS5 table over generations_prompt.text (external content: it keeps only the index,
  the text stays in generations_prompt), with triggers on insert, edit and delete.
- PostgreSQL: a generated tsvector column (to_tsvector('simple', text), so no stemming and no
  stop words, like FTS5's unicode61) and a GIN index on it.

Both fold case and keep accents ("cafe" does not find "café" on either). A later migration that
makes SQLite rebuild generations_prompt (Django copies the table to alter it) drops its triggers:
it must run SQLITE_TRIGGERS again; tests/test_search_index_in_step.py would fail otherwise.

Beside it, an index of each prompt's clips newest first: the prompt library finds the latest clip
of each prompt on its page through it (else SQLite read every finished clip for each prompt).
"""

from django.db import NotSupportedError, migrations, models

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE generations_prompt_search USING fts5("
    "text, content='generations_prompt', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')"
)
SQLITE_TRIGGERS = [
    """CREATE TRIGGER generations_prompt_search_insert AFTER INSERT ON generations_prompt BEGIN
        INSERT INTO generations_prompt_search(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER generations_prompt_search_delete AFTER DELETE ON generations_prompt BEGIN
        INSERT INTO generations_prompt_search(generations_prompt_search, rowid, text)
        VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER generations_prompt_search_update AFTER UPDATE OF id, text
    ON generations_prompt BEGIN
        INSERT INTO generations_prompt_search(generations_prompt_search, rowid, text)
        VALUES ('delete', old.id, old.text);
        INSERT INTO generations_prompt_search(rowid, text) VALUES (new.id, new.text);
    END""",
]
SQLITE_BUILD = "INSERT INTO generations_prompt_search(generations_prompt_search) VALUES ('rebuild')"
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS generations_prompt_search_insert",
    "DROP TRIGGER IF EXISTS generations_prompt_search_delete",
    "DROP TRIGGER IF EXISTS generations_prompt_search_update",
    "DROP TABLE IF EXISTS generations_prompt_search",
]

# Adding a stored generated column computes it for every existing row.
POSTGRESQL = [
    "ALTER TABLE generations_prompt ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED",
    # Without fastupdate's pending list: prompts are added one at a time, and the planner then
    # costs the index as it is (with a long pending list it prefers to read the whole table).
    "CREATE INDEX generations_prompt_search ON generations_prompt USING GIN (search_vector) "
    "WITH (fastupdate = off)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS generations_prompt_search",
    "ALTER TABLE generations_prompt DROP COLUMN IF EXISTS search_vector",
]


def statements(vendor: str, *, forwards: bool) -> list[str]:
    if vendor == "sqlite":
        return [SQLITE_TABLE, *SQLITE_TRIGGERS, SQLITE_BUILD] if forwards else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRESQL if forwards else POSTGRESQL_DROP
    # The studio supports these two databases; any other is refused before anything is changed.
    raise NotSupportedError(f"Prompt search is built for SQLite and PostgreSQL, not {vendor}.")


def create_index(apps, schema_editor) -> None:
    for sql in statements(schema_editor.connection.vendor, forwards=True):
        schema_editor.execute(sql)


def drop_index(apps, schema_editor) -> None:
    for sql in statements(schema_editor.connection.vendor, forwards=False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("generations", "0007_collections")]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
        migrations.AddIndex(
            model_name="generation",
            index=models.Index(fields=["prompt", "-created_at"], name="prompt_clips"),
        ),
    ]
