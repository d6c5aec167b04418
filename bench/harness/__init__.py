"""The fault and load harness: real processes on loopback only, each bounded in time.

* ``postgres``: a private PostgreSQL server (Debian binaries) that can be stopped and started;
* ``replay``: a feed server publishing the rss-archive items in time order on a virtual clock,
  with an article page per item;
* ``processes``: the broker and the three services as supervised processes (kill, stop, restart);
* ``digest``: a content hash of the store (reports, merged events, story links) and consumer lag;
* ``pipeline``: one run of the whole shape, from empty topics and databases to a quiet pipeline.
"""
