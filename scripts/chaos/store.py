"""Read-only SQL on a govwire store, SQLite or PostgreSQL, for the chaos run.

SQLite is read with the standard library's sqlite3; PostgreSQL with `psql`
(no driver to install). Rows come back as tuples of strings (PostgreSQL) or
Python values (SQLite); callers compare them as strings or ints.
"""

import sqlite3
import subprocess


class Store:
    def __init__(self, url):
        self.url = url

    def rows(self, sql):
        if self.url.startswith("sqlite://"):
            path = self.url[len("sqlite://"):]
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(r) for r in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = subprocess.run(
            ["psql", self.url, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True, timeout=120,
        ).stdout
        return [tuple(line.split("\x1f")) for line in out.splitlines() if line != ""]

    def scalar(self, sql):
        rows = self.rows(sql)
        return rows[0][0] if rows else None
