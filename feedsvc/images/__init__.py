"""Images: what URL readers are sent for each image of an article (`policy`, with `signing` for feedsvc's own
image URLs), and `feedsvc serve`'s image proxy: the key (`key`), which addresses may be fetched (`addresses`), the
fetch (`fetch`, aiohttp's client), the cache on disk (`store`), the answer to a request (`proxy`) and fetching
ahead of readers (`prefetch`)."""
