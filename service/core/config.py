"""Settings, read from the environment (prefix ``CLEARFILE_``)."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

#: The sandbox's documented default admin key. The server refuses to listen on a
#: non-loopback address while this is in use.
DEFAULT_ADMIN_KEY = "cf_admin_sandbox_default"

DEFAULT_DATABASE_URL = "sqlite:///./clearfile.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLEARFILE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    admin_key: str = DEFAULT_ADMIN_KEY
    #: Load the fixture personas into an empty database when the app starts.
    load_fixtures: bool = True

    @property
    def uses_default_admin_key(self) -> bool:
        return self.admin_key == DEFAULT_ADMIN_KEY


@lru_cache
def get_settings() -> Settings:
    return Settings()
