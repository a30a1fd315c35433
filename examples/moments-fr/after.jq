# Le remerciement, après le rendez-vous (follow-up-due -A) ; REVIEW_URL,
# s'il est donné, invite à laisser un avis.
(.appointment // .) as $a
| "Merci de votre visite, \($a.first_name // "") !\(if env.REVIEW_URL then " Donnez-nous votre avis : \(env.REVIEW_URL)" else "" end) Répondez STOP pour ne plus recevoir de messages."
