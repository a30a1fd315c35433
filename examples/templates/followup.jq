# The follow-up, sent once when there was no reply 30 minutes after the
# confirmation.
(.appointment // .) as $a
| "Hi \($a.first_name // "there"), just checking: are we still on for \($a.event_name // "your appointment") on \($a.start_local // $a.start_time)? Reply YES to confirm, or reschedule here: \($a.reschedule_url // "reply to this message"). Reply STOP to opt out."
