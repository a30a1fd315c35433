/*
 * bucket.c: a token bucket, the sender's rate limit: rate tokens a
 * second, a small burst to absorb the loop's wake-up jitter (the mean
 * stays the rate).
 */
#include "calsms.h"

void
bucket_init(struct bucket *b, double rate)
{
	b->rate = rate;
	b->burst = rate > 10 ? rate / 10 : 1;
	b->tokens = 1;
	b->refilled = mono_ms();
}

/* Takes a token: 0, or the milliseconds until one is there (none taken). */
long
bucket_take(struct bucket *b)
{
	int64_t now = mono_ms();

	if (b->rate <= 0)
		return 0;
	b->tokens += (double)(now - b->refilled) * b->rate / 1000;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	b->refilled = now;
	if (b->tokens < 1)
		return (long)((1 - b->tokens) * 1000 / b->rate) + 1;
	b->tokens -= 1;
	return 0;
}
