# After the appointment (follow-up-due -A, e.g. -A 2h after its end):
# once, never to someone who canceled, declined or opted out, never in
# quiet hours.  Set REVIEW_URL in the sender's environment for a link.
(.appointment // .) as $a
| "Thank you for coming, \($a.first_name // "and see you soon")!\(if env.REVIEW_URL then " Tell us how it went: \(env.REVIEW_URL)" else "" end) Reply STOP to opt out."
