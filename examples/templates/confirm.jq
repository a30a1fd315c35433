# The confirmation, sent when the booking arrives.
# Input: a conversation line (its .appointment is what cal-parse wrote),
# or any line with the same fields at the top.
(.appointment // .) as $a
| "Hi \($a.first_name // "there"), this confirms your \($a.event_name // "appointment") on \($a.start_local // $a.start_time). Reply YES to confirm. Need another time? \($a.reschedule_url // "Just reply.") Reply STOP to opt out."
