"""Django's makemessages, also extracting `_lazy("...")`: the code imports gettext_lazy as
`_lazy` where a module uses both gettext and gettext_lazy (`make messages` and the i18n test
run this command)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_lazy"]
