"""Secrets: declarations in values, sentinels through the renderers, ExternalSecrets out.

No rendered tree may hold a Secret's value. A value the operator declares as a secret
(`{secretRef: "<remote key>#<property>"}`) is replaced by a unique, deterministic sentinel
before any template or chart sees it (`refs`); after rendering, every Secret is examined
(`scan`): keys holding sentinels are rebuilt by an ExternalSecret (`externalsecret`), and
anything else with a value is refused with the release, object, key and the value to
declare. Sentinels are not secret; they only mark where a secret goes.
"""
