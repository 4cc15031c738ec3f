"""Gift intake: how gifts come in by the thousand (a payment platform's stream, batches, a Giving-Day file) and the one
writer that records a checked set of them. The domain modules (funds, campaigns, payouts, receipts, disclosure) do
not need any of this to be read."""
