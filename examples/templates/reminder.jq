# The reminder, sent before the appointment (follow-up-due -r).
(.appointment // .) as $a
| "Hi \($a.first_name // "there"), a reminder: \($a.event_name // "your appointment") is on \($a.start_local // $a.start_time). Can't make it? \($a.reschedule_url // "Reply to this message.") Reply STOP to opt out."
