# The confirmation, sent when the booking arrives.
# Input: a conversation line (its .appointment is what cal-parse wrote),
# or any line with the same fields at the top.
# Where and with whom, when Calendly says: an address is named, a
# video link is left to the calendar invitation.
(.appointment // .) as $a
| (if $a.location.type == "physical" and $a.location.text then " at \($a.location.text)" else "" end) as $where
| (if $a.host.name then " with \($a.host.name)" else "" end) as $who
| "Hi \($a.first_name // "there"), this confirms your \($a.event_name // "appointment")\($who) on \($a.start_local // $a.start_time)\($where). Reply YES to confirm. Need another time? \($a.reschedule_url // "Just reply.") Reply STOP to opt out."
