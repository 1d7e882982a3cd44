"""Chart supply: repositories, pull, the lock file, the content-addressed cache, digests.

Pulling is the only place bkgen talks to a chart repository, and it is its own explicit
command (`bkgen charts pull|lock`). Rendering reads the lock file and the cache and never
touches the network: a chart is found by the digest the lock file pins, and its bytes are
verified against that digest every time they are used.
"""
