"""How a generation travels, after the form saved it as WAITING:

1. `tasks.submit_generation` (enqueued once the form's transaction commits) submits it to Apiframe
   with Idempotency-Key = its id; a transient failure leaves it WAITING with a later check time.
2. `tasks.track` is one long-running loop (renewed by itself and by a once-a-minute schedule) that
   leases whichever generations are due and advances each in a thread pool: submit the WAITING ones,
   check the SUBMITTED/PROCESSING ones, store the clips Apiframe finished. `cadence` says when next.
3. Webhooks (when PUBLIC_URL is set) apply the same job updates and mark a finished clip due at once.

Every state change is a conditional UPDATE on the model, so racing webhooks, loops and clusters are
harmless, and stopping the cluster at any moment loses nothing: the database says what is due.
"""
