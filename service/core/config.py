"""Settings, read from the environment (prefix ``CLEARFILE_``)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The sandbox's documented default admin key. The server refuses to listen on a
#: non-loopback address while this is in use.
DEFAULT_ADMIN_KEY = "cf_admin_sandbox_default"

DEFAULT_DATABASE_URL = "sqlite:///./clearfile.db"

#: The shortest admin key the server accepts on an address other machines can reach: 32
#: characters, so that a key of random letters and digits carries well over 128 bits, out
#: of reach of guessing over the network.
MIN_PUBLIC_ADMIN_KEY_LENGTH = 32

#: The largest request body the server reads (``CLEARFILE_MAX_BODY_BYTES``). The largest
#: body the API takes is a furnishing or a simulation of a few kilobytes; 1 MiB leaves ample
#: room and keeps one request from holding the server's memory and time.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024

#: The largest Metro 2 file the upload endpoints read (``CLEARFILE_MAX_METRO2_BYTES``):
#: 64 MiB holds 100,000 accounts of up to 671 bytes each (a 426-byte base segment, a line
#: break and 244 bytes of appended segments), a furnisher's monthly file of that size.
DEFAULT_MAX_METRO2_BYTES = 64 * 1024 * 1024


#: How often a running server runs the rules that have fallen due on the sandbox clock
#: (dispute deadlines, identity-theft blocks, obsolescence), in seconds. Moving the clock runs
#: them at once as well; this catches the deadlines that pass as the clock ticks on.
DEFAULT_DUE_WORK_INTERVAL_SECONDS = 60.0

#: Where webhooks may be sent (``CLEARFILE_WEBHOOK_ALLOWED_NETWORKS``, comma-separated CIDR):
#: by default only loopback, so that no request is forged to another machine (SSRF).
DEFAULT_WEBHOOK_ALLOWED_NETWORKS = "127.0.0.0/8,::1/128"

#: How long a delivery attempt waits for the receiver, in seconds.
DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 5.0

#: How long a worker holds the deliveries it claimed before another may take them (the
#: wall clock): longer than an attempt's timeout, so one attempt is never made twice.
DEFAULT_WEBHOOK_LEASE_SECONDS = 30.0

#: How often an idle delivery worker looks for work, in seconds.
DEFAULT_WEBHOOK_POLL_SECONDS = 0.1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLEARFILE_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    admin_key: str = DEFAULT_ADMIN_KEY
    #: Load the fixture personas into an empty database when the app starts.
    load_fixtures: bool = True
    #: Request bodies larger than this are refused with 413 before they are read.
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1)
    #: The Metro 2 upload endpoints' own body limit.
    max_metro2_bytes: int = Field(default=DEFAULT_MAX_METRO2_BYTES, ge=1)
    #: Serve on an address other machines can reach even though ``exposure_risks`` names
    #: a risk (the operator accepts it): ``CLEARFILE_ALLOW_PUBLIC_BIND=true``.
    allow_public_bind: bool = False
    #: Run what has fallen due every this many seconds while serving (0: only when the
    #: clock is moved): ``CLEARFILE_DUE_WORK_INTERVAL_SECONDS``.
    due_work_interval_seconds: float = Field(default=DEFAULT_DUE_WORK_INTERVAL_SECONDS, ge=0)
    #: Addresses webhook URLs may resolve to (CIDR, comma-separated).
    webhook_allowed_networks: str = DEFAULT_WEBHOOK_ALLOWED_NETWORKS
    #: Run the webhook delivery worker inside ``serve`` (``clearfile deliver`` runs one apart).
    webhook_worker: bool = True
    webhook_timeout_seconds: float = Field(default=DEFAULT_WEBHOOK_TIMEOUT_SECONDS, gt=0)
    webhook_lease_seconds: float = Field(default=DEFAULT_WEBHOOK_LEASE_SECONDS, gt=0)
    webhook_poll_seconds: float = Field(default=DEFAULT_WEBHOOK_POLL_SECONDS, gt=0)

    @property
    def uses_default_admin_key(self) -> bool:
        return self.admin_key == DEFAULT_ADMIN_KEY

    def exposure_risks(self) -> list[str]:
        """Why serving these settings to other machines would hand them the sandbox: the
        admin key is the published default or short enough to guess, or the fixture
        personas, whose keys are published, are loaded. Empty when there is no such risk."""
        risks = []
        if self.uses_default_admin_key:
            risks.append("the admin key is the documented sandbox default")
        elif len(self.admin_key) < MIN_PUBLIC_ADMIN_KEY_LENGTH:
            risks.append(
                f"the admin key is shorter than {MIN_PUBLIC_ADMIN_KEY_LENGTH} characters "
                "(CLEARFILE_ADMIN_KEY)"
            )
        if self.load_fixtures:
            risks.append(
                "the fixture personas, whose keys are published, are loaded "
                "(CLEARFILE_LOAD_FIXTURES=false leaves them out)"
            )
        return risks


@lru_cache
def get_settings() -> Settings:
    return Settings()
