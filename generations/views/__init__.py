"""The studio's pages, one module per area: studio and gallery, a generation, prompts, media, webhooks."""
