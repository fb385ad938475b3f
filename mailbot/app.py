"""The shell's wiring: config, database and file stores, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine

from mailbot.adapters.blobs import BlobStore
from mailbot.adapters.db.engine import make_engine, require_current
from mailbot.adapters.db.store import Store
from mailbot.config import Config
from mailbot.core.authresults import AuthPolicy
from mailbot.core.classify import Policy
from mailbot.core.matching import Roster


@dataclass
class App:
    config: Config
    engine: Engine

    @classmethod
    def open(cls, config: Config, *, check_schema: bool = True) -> App:
        engine = make_engine(config.database_url, config.database_password)
        if check_schema:
            try:
                require_current(engine)
            except BaseException:
                engine.dispose()
                raise
        return cls(config, engine)

    @cached_property
    def store(self) -> Store:
        return Store(self.engine)

    @cached_property
    def raw_mail(self) -> BlobStore:
        """Every message's bytes as received, named by SHA-256."""
        return BlobStore(self.config.data_dir / "mail")

    @cached_property
    def files(self) -> BlobStore:
        """Attachments of submissions, named by SHA-256 (same photo twice: stored once)."""
        return BlobStore(self.config.data_dir / "files")

    @cached_property
    def policy(self) -> Policy:
        c = self.config
        return Policy(tz=c.timezone, import_since=c.imap.import_since,
                      own_addresses=c.own_addresses, own_domain=c.message_id_domain,
                      schedule=c.schedule,
                      auth=AuthPolicy(trusted_authserv_id=c.ingest.trusted_authserv_id,
                                      unauthenticated=c.ingest.unauthenticated))

    def roster(self) -> Roster:
        return Roster(units=self.config.units, learned=self.store.learned())

    def close(self) -> None:
        self.engine.dispose()
