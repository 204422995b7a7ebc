"""Errors of the settlement engine, each with a message in Chinese for the person who gave the input."""


class SettlementInputError(ValueError):
    """The input cannot be settled: the message says why, in one line."""


class UnknownPolicy(SettlementInputError):
    pass


class UnknownParameter(SettlementInputError):
    pass


class MissingParameter(SettlementInputError):
    pass


class MissingAmount(SettlementInputError):
    pass
