"""The low web kit every domain's routes use: request session and current actor (``deps``),
templates and console navigation (``templating``). It sits just above ``core`` so domains may
import it; the web shell (``greensword.web``: app, core pages, templates, static files) sits on top."""
