"""How a generation travels, after the form saved it as WAITING:

1. `tasks.submit_generation` (enqueued once the form's transaction commits) submits it to Apiframe
   with Idempotency-Key = its id; a transient failure leaves it WAITING with a later check time.
   A first frame given by web address is fetched first (`first_frames`), here and never in a web
   request. A local first frame is uploaded once (`uploads`; the row keeps its URL), so every
   retry sends the same body and Apiframe replays the first job instead of refusing the key.
2. `track` is one loop at a time (how it is kept alive: `tasks`' docstring) that claims whichever
   generations are due and advances each in a thread pool: submit the WAITING ones, check the
   SUBMITTED/PROCESSING ones (`checks`), store the clips Apiframe finished. `cadence` says when.
3. Webhooks (when PUBLIC_URL is set) apply the same job updates and mark a finished clip due at once.
4. `storage` downloads a finished clip, checks its MP4 boxes and marks it COMPLETED: the gallery
   shows it. `posters` then makes its poster (ffmpeg, CPU-bound) on threads that active work leaves
   free, so a burst of finished clips is shown first; the card swaps the poster in when it comes.
5. `billing` follows a job the member is done with (deleted while running, failed by the deadline)
   to its end, slowly, and records what Apiframe billed: there is no cancel.

Every state change is a conditional UPDATE on the model, so racing webhooks, loops and clusters are
harmless. Work on a generation happens under a short claim, renewed while the work lasts (`claims`),
so no two workers, in one cluster or several, submit or check it at once; and stopping a cluster at
any moment, even with SIGKILL, loses nothing: the database says what is due, and a dead worker's
claims and the dead tracker's lease expire within seconds (`track.LEASE_SECONDS`).
"""
