# The reuse models live in their own module (issue 6); the Hub growth models join them here.
from growth.reuse_models import *  # noqa: F403
from growth.reuse_models import __all__ as _reuse_all

__all__ = [*_reuse_all]
