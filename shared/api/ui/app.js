// Admin UI of pp-svc-webhooks: plain ES2020, no dependencies, no build step.
// Served with a strict CSP (no inline script/style), so the DOM is built with `h()` below and
// every piece of server data goes through textContent, never innerHTML.
'use strict';

(() => {
  const TOKEN_KEY = 'pp-webhooks-token'; // sessionStorage: this tab only
  const LANG_KEY = 'pp-webhooks-lang'; // localStorage: a preference, not a secret
  const PAGE_SIZE = 20;

  // ---------------------------------------------------------------------------------------
  // Translations
  // ---------------------------------------------------------------------------------------
  const I18N = {
    fr: {
      'app.name': 'Webhooks',
      'app.title': 'Webhooks — Peopulse',
      'skip': 'Aller au contenu',
      'lang.other': 'English',
      'lang.otherLabel': 'Switch to English',
      'logout': 'Se déconnecter',
      'loading': 'Chargement…',
      'retry': 'Réessayer',
      'close': 'Fermer',
      'cancel': 'Annuler',
      'copy': 'Copier',
      'copied': 'Copié',
      'copyFailed': 'Copie impossible : sélectionnez le texte et copiez-le manuellement.',

      'token.title': 'Accès à la gestion des Webhooks',
      'token.intro': 'Ouvrez cette interface depuis le lien du portail Entreprises de Peopulse, ou collez ci-dessous votre jeton d’accès administrateur.',
      'token.label': 'Jeton d’accès',
      'token.hint': 'Il est conservé pour cet onglet uniquement et oublié à sa fermeture.',
      'token.submit': 'Continuer',
      'token.required': 'Collez votre jeton d’accès.',
      'token.rejected': 'Ce jeton a été refusé (expiré ou invalide). Ouvrez à nouveau le lien du portail ou collez un autre jeton.',
      'token.signedOut': 'Vous êtes déconnecté.',

      'list.title': 'Points de terminaison',
      'list.intro': 'Les adresses HTTP de votre système d’information qui reçoivent les événements métier Peopulse.',
      'list.add': 'Ajouter un point de terminaison',
      'search.label': 'Rechercher un événement par identifiant',
      'search.hint': 'L’identifiant donné par le service émetteur (event_id), par exemple FA-2026-001234.',
      'search.submit': 'Rechercher',
      'search.title': (id) => `Événement ${id}`,
      'search.notFound': 'Aucun événement avec cet identifiant n’a été reçu (ou il a dépassé la durée de conservation).',
      'search.noSubscriber': (type) => `Reçu, mais aucun point de terminaison n’était abonné au type ${type} : abonnez-en un à ce type pour recevoir les prochains.`,
      'search.summary': (type, date, n) => `${type}, reçu le ${date}, envoyé à ${n} point${n > 1 ? 's' : ''} de terminaison.`,
      'search.queued': 'En file d’attente',
      'search.deleted': 'Point de terminaison supprimé',
      'search.last': (code, err) => (code ? `Dernière réponse : HTTP ${code}` : err ? `Dernière erreur : ${err}` : '—'),
      'search.open': 'Voir dans le journal',
      'failed.link': 'Échecs récents',
      'failed.title': 'Échecs récents',
      'failed.intro': 'Les messages qui n’ont pas pu être livrés ces 7 derniers jours, tous points de terminaison confondus, du plus récent au plus ancien.',
      'failed.none': 'Aucun échec ces 7 derniers jours.',
      'failed.more': 'Afficher plus',
      'failed.replayAll': 'Rejouer tous les messages affichés',
      'failed.replayed': (n) => `${n} message${n > 1 ? 's' : ''} remis en livraison.`,
      'failed.col.message': 'Message',
      'failed.col.endpoint': 'Point de terminaison',
      'failed.col.attempts': 'Tentatives',
      'failed.col.last': 'Dernière tentative',
      'list.count': (n) => (n === 1 ? '1 point de terminaison' : `${n} points de terminaison`),
      'empty.title': 'Aucun point de terminaison',
      'empty.body': 'Déclarez l’adresse HTTP de votre système d’information et choisissez les événements métier (factures, contrats, relevés d’heures…) à y recevoir.',
      'empty.cta': 'Créer un premier point de terminaison',
      'col.endpoint': 'Point de terminaison',
      'col.types': 'Événements',
      'col.status': 'Statut',
      'col.delivered': 'Livrés',
      'col.failedAttempts': 'Tentatives échouées',
      'col.failedMessages': 'Messages en échec',
      'col.inFlight': 'En cours',
      'status.enabled': 'Actif',
      'status.disabled': 'Désactivé',
      'noDescription': 'Sans description',
      'moreTypes': (n) => `+${n}`,

      'create.title': 'Nouveau point de terminaison',
      'create.intro': 'Indiquez où envoyer les événements et lesquels vous souhaitez recevoir.',
      'edit.title': 'Modifier le point de terminaison',
      'help.title': 'Bon à savoir',
      'help.secret': 'Après l’enregistrement, une clé secrète propre à ce point de terminaison s’affiche une seule fois : notez-la.',
      'help.signed': 'Chaque événement est envoyé en POST JSON signé avec cette clé (en-têtes webhook-signature et pp-svc-webhooks-signature).',
      'help.retries': 'Une réponse HTTP 2xx en moins de 10 secondes vaut succès ; sinon le message est retenté jusqu’à 5 fois, à intervalles croissants.',
      'help.test': 'Depuis le détail, envoyez un événement de test pour vérifier la configuration.',
      'f.url': 'URL',
      'f.urlHint': 'Adresse de votre système qui recevra les requêtes POST signées, par exemple https://erp.example.com/webhooks.',
      'f.description': 'Description',
      'f.descriptionHint': 'Facultative, 500 caractères au plus.',
      'f.types': 'Événements à recevoir',
      'f.typesHint': 'Choisissez au moins un type d’événement.',
      'f.selected': (n) => (n <= 1 ? `${n} sélectionné` : `${n} sélectionnés`),
      'f.all': 'Tout cocher',
      'f.none': 'Tout décocher',
      'f.enabled': 'Point de terminaison actif',
      'f.enabledHint': 'Décochez pour suspendre l’envoi des nouveaux événements.',
      'f.save': 'Enregistrer',
      'f.saving': 'Enregistrement…',
      'f.errors': 'Corrigez les champs signalés :',
      'err.urlRequired': 'Saisissez l’URL du point de terminaison.',
      'err.urlInvalid': 'Saisissez une URL complète commençant par https:// ou http://.',
      'err.typesRequired': 'Cochez au moins un type d’événement.',
      'err.descriptionLong': 'La description dépasse 500 caractères.',
      'group.WEBHOOK': 'Supervision des webhooks',
      'nav.notifications': 'Notifications',
      'notif.title': 'Notifications',
      'notif.intro': 'Prévenez votre équipe par e-mail quand un point de terminaison est en échec ou désactivé, ou qu’un message n’a pas pu être livré. Les mêmes événements existent en webhooks : abonnez un point de terminaison aux types qui commencent par WEBHOOK_.',
      'notif.recipients': 'Destinataires',
      'notif.recipientsHint': 'Jusqu’à 10 adresses e-mail, une par ligne.',
      'notif.events': 'Événements envoyés par e-mail',
      'notif.ev.WEBHOOK_ENDPOINT_FAILING': 'Point de terminaison en échec : toutes ses livraisons échouent depuis une heure',
      'notif.ev.WEBHOOK_ENDPOINT_DISABLED': 'Point de terminaison désactivé, automatiquement ou par un administrateur',
      'notif.ev.WEBHOOK_MESSAGE_FAILED': 'Message non livré après toutes ses tentatives',
      'notif.language': 'Langue des e-mails',
      'notif.save': 'Enregistrer',
      'notif.saved': 'Paramètres de notification enregistrés.',
      'notif.invalid': (x) => `Adresse(s) invalide(s) : ${x}`,
      'notif.history': 'Derniers e-mails',
      'notif.historyNone': 'Aucun e-mail pour l’instant.',
      'notif.col.date': 'Date',
      'notif.col.subject': 'Objet',
      'notif.col.to': 'Destinataires',
      'notif.col.status': 'Statut',
      'notif.status.sent': 'Envoyé',
      'notif.status.logged': 'Journalisé',
      'notif.status.loggedTitle': 'Aucun service d’e-mail n’est configuré : le message a été écrit dans le journal du service.',
      'notif.status.failed': 'Échec',
      'contract.link': 'Voir le contenu',
      'contract.open': (ty) => `Voir le contenu de ${ty}`,
      'contract.title': (ty) => `Contenu de ${ty}`,
      'contract.intro': (v) => `Champs de event_data (schéma version ${v}). Un événement qui ne les respecte pas est refusé à la publication.`,
      'contract.introDoc': (v) => `Champs de event_data (schéma version ${v}, documentaire : non vérifié à la publication).`,
      'contract.required': 'obligatoire',
      'contract.fields': 'Champs',
      'f.filter': 'Filtre',
      'f.filterHint': 'Expression CEL sur event_type et event_data : seuls les événements pour lesquels elle est vraie sont envoyés. Vide : tous les événements des types choisis.',
      'filter.field': 'Champ',
      'filter.op': 'Condition',
      'filter.value': 'Valeur',
      'filter.valueHint': 'AG-75, AG-69',
      'filter.op.eq': 'est égal à',
      'filter.op.ne': 'est différent de',
      'filter.op.in': 'est parmi (séparées par des virgules)',
      'filter.op.ge': 'est supérieur ou égal à',
      'filter.op.le': 'est inférieur ou égal à',
      'filter.op.contains': 'contient',
      'filter.op.has': 'est présent',
      'filter.add': 'Ajouter la condition',
      'filter.test': 'Tester avec l’exemple',
      'filter.sent': (ty) => `${ty} : l’exemple serait envoyé.`,
      'filter.notSent': (ty) => `${ty} : l’exemple ne serait pas envoyé.`,
      'filter.error': (ty, e) => `${ty} : l’exemple ne serait pas envoyé, le filtre ne s’évalue pas (${e}).`,
      'filter.noTypes': 'Choisissez d’abord au moins un type d’événement.',
      'f.headers': 'En-têtes personnalisés',
      'f.headersHint': 'Ajoutés à chaque requête (10 au plus), par exemple la clé d’API de votre système. Les valeurs ne sont plus affichées après l’enregistrement.',
      'headers.name': 'Nom de l’en-tête',
      'headers.value': 'Valeur',
      'headers.add': 'Ajouter un en-tête',
      'headers.remove': 'Retirer cet en-tête',
      'headers.kept': '•••• (inchangée)',
      'group.CONTRACT': 'Contrats de mission',
      'group.INVOICE': 'Factures',
      'group.ORDER': 'Commandes',
      'group.TIMESHEET': 'Relevés d’heures',
      'group.WORKER': 'Intérimaires',
      'group.other': 'Autres',

      'secret.createdTitle': 'Point de terminaison enregistré',
      'secret.rotatedTitle': 'Nouvelle clé secrète',
      'secret.label': 'Clé secrète de signature',
      'secret.warningTitle': 'Notez cette clé maintenant',
      'secret.warning': 'Elle ne sera plus jamais affichée. Elle permet à votre système de vérifier que les messages reçus viennent bien de Peopulse.',
      'secret.grace': 'L’ancienne clé continue de signer les messages pendant 24 heures, le temps de mettre à jour votre système.',
      'secret.toList': 'Retour à la liste',
      'secret.toDetail': 'Voir le point de terminaison',
      'secret.goneTitle': 'Clé secrète indisponible',
      'secret.gone': 'La clé secrète n’est affichée qu’une seule fois, juste après l’enregistrement. Si vous ne l’avez pas notée, renouvelez-la depuis le détail du point de terminaison.',

      'detail.back': 'Points de terminaison',
      'detail.edit': 'Modifier',
      'detail.test': 'Envoyer un événement de test',
      'detail.rotate': 'Renouveler la clé secrète',
      'detail.delete': 'Supprimer',
      'detail.enable': 'Activer',
      'detail.disable': 'Désactiver',
      'detail.config': 'Configuration',
      'detail.id': 'Identifiant',
      'detail.url': 'URL',
      'detail.description': 'Description',
      'detail.types': 'Événements',
      'detail.headers': 'En-têtes ajoutés',
      'detail.status': 'Statut',
      'detail.created': 'Créé le',
      'detail.updated': 'Modifié le',
      'detail.counters': 'Compteurs de livraison',
      'detail.disabledNote': 'Ce point de terminaison est désactivé : il ne reçoit pas les nouveaux événements.',
      'detail.failingSince': (d) => `Aucune livraison réussie depuis le ${d}. Vérifiez que votre système répond avec un code HTTP 2xx en moins de 10 secondes.`,
      'detail.disableIn': (span) => `Désactivation automatique ${span} si aucune livraison ne réussit d’ici là.`,
      'status.failing': 'En échec',
      'status.failingTitle': (d) => `Toutes les livraisons échouent depuis le ${d}`,

      'chart.title': 'Tentatives par heure, dernières 24 h',
      'chart.ok': 'Réussies',
      'chart.ko': 'Échouées',
      'chart.summary': (ok, ko) => `Sur les dernières 24 heures : ${ok} tentative${ok > 1 ? 's' : ''} réussie${ok > 1 ? 's' : ''} et ${ko} échouée${ko > 1 ? 's' : ''}.`,
      'chart.bucket': (from, to, ok, ko) => `${from}–${to} : ${ok} réussie${ok > 1 ? 's' : ''}, ${ko} échouée${ko > 1 ? 's' : ''}`,
      'chart.none': 'Aucune tentative de livraison sur les dernières 24 heures.',
      'chart.hour': (d) => `${String(d.getHours()).padStart(2, '0')} h`,

      'log.title': 'Journal des livraisons',
      'log.filter': 'Statut',
      'log.all': 'Tous',
      'log.refresh': 'Actualiser',
      'log.live': 'Mise à jour automatique',
      'log.empty': 'Aucun message pour l’instant. Envoyez un événement de test pour vérifier que votre point de terminaison répond.',
      'log.emptyFiltered': 'Aucun message avec ce statut.',
      'log.more': 'Charger plus',
      'log.attempts': (n) => (n <= 1 ? `${n} tentative` : `${n} tentatives`),
      'log.payload': 'Payload',
      'log.payloadOf': (type) => `Payload du message ${type}`,
      'log.replay': 'Rejouer',
      'log.replayOf': (type) => `Rejouer le message ${type}`,
      'log.details': (type, date) => `${type}, ${date} : afficher les tentatives`,
      'log.next': (d) => `Prochaine tentative ${d}`,
      'in': (span) => `dans ${span}`,
      'in.now': 'imminente',
      'log.messageId': 'Message',
      'msg.pending': 'En attente',
      'msg.delivered': 'Livré',
      'msg.failed': 'En échec',
      'att.number': 'N°',
      'att.date': 'Date',
      'att.result': 'Résultat',
      'att.duration': 'Durée',
      'att.response': 'Réponse',
      'att.none': 'Aucune tentative pour l’instant : la première est imminente.',
      'att.caption': 'Tentatives de livraison',
      'att.series': 'Rejeu : nouvelle série de tentatives',
      'fail.http_status': 'Statut HTTP hors 2xx',
      'fail.timeout': 'Délai dépassé (pas de réponse à temps)',
      'fail.connect': 'Connexion impossible',
      'fail.tls': 'Erreur TLS (certificat ou chiffrement)',
      'fail.dns': 'Nom d’hôte introuvable (DNS)',
      'fail.blocked': 'Adresse cible non autorisée',
      'fail.endpoint_disabled': 'Point de terminaison désactivé : rien n’a été envoyé',
      'fail.io': 'Connexion interrompue',
      'why.timeout': 'Votre serveur n’a pas répondu dans les 10 secondes. Répondez 2xx dès réception, puis traitez le message en arrière-plan.',
      'why.connect': 'La connexion a été refusée : rien n’écoute à cette adresse ou un pare-feu bloque l’accès. Vérifiez que le service tourne et que l’URL et le port sont les bons.',
      'why.tls': 'Le certificat HTTPS est invalide, expiré, auto-signé ou ne correspond pas au nom. Renouvelez-le ou installez la chaîne complète d’une autorité reconnue.',
      'why.dns': 'Le nom de domaine de l’URL est introuvable. Vérifiez l’orthographe de l’URL et l’enregistrement DNS.',
      'why.blocked': 'L’adresse résolue est privée, locale ou réservée : la politique de sécurité interdit d’y envoyer. Utilisez une URL publique.',
      'why.io': 'La connexion s’est interrompue pendant l’échange. Vérifiez la stabilité du serveur et des équipements réseau (proxy, répartiteur).',
      'why.endpoint_disabled': 'Le point de terminaison est désactivé : rien n’a été envoyé. Réactivez-le, puis rejouez les messages en échec.',
      'why.auth': 'Votre serveur a refusé notre signature ou notre jeton. Vérifiez le secret utilisé pour la vérification et les en-têtes d’authentification configurés.',
      'why.404': 'L’URL n’existe pas sur votre serveur. Vérifiez le chemin de l’URL du point de terminaison.',
      'why.410': 'Votre serveur a répondu 410 : nous cessons d’envoyer ce message. Corrigez l’URL ou rejouez le message si c’était une erreur.',
      'why.413': 'Le message est trop volumineux pour votre serveur. Relevez la taille maximale acceptée (jusqu’à 256 Kio).',
      'why.429': 'Votre serveur limite le débit : nous ralentissons et respectons son en-tête Retry-After. Relevez la limite si elle est trop basse.',
      'why.3xx': 'Votre serveur a répondu par une redirection, que nous ne suivons pas. Renseignez directement l’URL finale.',
      'why.4xx': 'Votre serveur a refusé la requête. Consultez la réponse ci-dessous et les journaux de votre serveur.',
      'why.5xx': 'Votre serveur a rencontré une erreur interne. Consultez ses journaux ; nous réessayons automatiquement.',
      'log.replayedTag': 'rejoué',

      'recover.summary': 'Récupérer les messages en échec…',
      'recover.label': 'Rejouer tous les messages en échec depuis le',
      'recover.submit': 'Récupérer',
      'recover.invalid': 'Indiquez une date et une heure.',
      'recover.done': (n) => (n === 0 ? 'Aucun message en échec à récupérer sur cette période.' : n === 1 ? '1 message remis en livraison.' : `${n} messages remis en livraison.`),

      'toast.testSent': 'Événement de test envoyé : il apparaît dans le journal.',
      'toast.replayed': 'Message remis en livraison.',
      'toast.saved': 'Modifications enregistrées.',
      'toast.deleted': 'Point de terminaison supprimé.',
      'toast.enabled': 'Point de terminaison activé.',
      'toast.disabled': 'Point de terminaison désactivé.',

      'confirm.deleteTitle': 'Supprimer ce point de terminaison ?',
      'confirm.deleteBody': (url) => `${url} ne recevra plus aucun événement et son journal des livraisons sera effacé. Cette action est irréversible.`,
      'confirm.delete': 'Supprimer définitivement',
      'confirm.rotateTitle': 'Renouveler la clé secrète ?',
      'confirm.rotateBody': 'Une nouvelle clé sera générée et affichée une seule fois. L’ancienne continuera de signer les messages pendant 24 heures.',
      'confirm.rotate': 'Renouveler',

      'payload.title': 'Payload',
      'payload.copy': 'Copier le JSON',

      'err.title': 'Impossible d’afficher cette page',
      'err.network': 'Le service ne répond pas. Vérifiez votre connexion puis réessayez.',
      'err.forbidden': 'Accès refusé : votre jeton ne permet pas cette action.',
      'err.notFound': 'Ce point de terminaison n’existe pas ou a été supprimé.',
      'err.route': 'Cette page n’existe pas.',
      'err.generic': (s) => `Erreur inattendue (HTTP ${s}).`,
      'err.back': 'Retour à la liste',

      'ms': (n) => `${n} ms`,
      's': (n) => `${n.toLocaleString('fr-FR', { maximumFractionDigits: 1 })} s`,
    },
    en: {
      'app.name': 'Webhooks',
      'app.title': 'Webhooks — Peopulse',
      'skip': 'Skip to content',
      'lang.other': 'Français',
      'lang.otherLabel': 'Passer en français',
      'logout': 'Sign out',
      'loading': 'Loading…',
      'retry': 'Try again',
      'close': 'Close',
      'cancel': 'Cancel',
      'copy': 'Copy',
      'copied': 'Copied',
      'copyFailed': 'Could not copy: select the text and copy it manually.',

      'token.title': 'Webhooks management',
      'token.intro': 'Open this page from the link in the Peopulse company portal, or paste your administrator access token below.',
      'token.label': 'Access token',
      'token.hint': 'It is kept for this tab only and forgotten when the tab closes.',
      'token.submit': 'Continue',
      'token.required': 'Paste your access token.',
      'token.rejected': 'This token was rejected (expired or invalid). Open the portal link again or paste another token.',
      'token.signedOut': 'You are signed out.',

      'list.title': 'Endpoints',
      'list.intro': 'The HTTP addresses of your systems that receive Peopulse business events.',
      'list.add': 'Add endpoint',
      'search.label': 'Find an event by its id',
      'search.hint': 'The id the publishing service gave it (event_id), for example FA-2026-001234.',
      'search.submit': 'Search',
      'search.title': (id) => `Event ${id}`,
      'search.notFound': 'No event with this id was received (or it is past retention).',
      'search.noSubscriber': (type) => `Received, but no endpoint was subscribed to the type ${type}: subscribe one to receive the next ones.`,
      'search.summary': (type, date, n) => `${type}, received ${date}, sent to ${n} endpoint${n > 1 ? 's' : ''}.`,
      'search.queued': 'Queued',
      'search.deleted': 'Endpoint deleted',
      'search.last': (code, err) => (code ? `Last response: HTTP ${code}` : err ? `Last error: ${err}` : '—'),
      'search.open': 'Open in the log',
      'failed.link': 'Recent failures',
      'failed.title': 'Recent failures',
      'failed.intro': 'Messages that could not be delivered in the last 7 days, across all endpoints, newest first.',
      'failed.none': 'No failures in the last 7 days.',
      'failed.more': 'Show more',
      'failed.replayAll': 'Replay every message shown',
      'failed.replayed': (n) => `${n} message${n > 1 ? 's' : ''} sent for delivery again.`,
      'failed.col.message': 'Message',
      'failed.col.endpoint': 'Endpoint',
      'failed.col.attempts': 'Attempts',
      'failed.col.last': 'Last attempt',
      'list.count': (n) => (n === 1 ? '1 endpoint' : `${n} endpoints`),
      'empty.title': 'No endpoints yet',
      'empty.body': 'Register the HTTP address of your system and choose the business events (invoices, contracts, timesheets…) it should receive.',
      'empty.cta': 'Create your first endpoint',
      'col.endpoint': 'Endpoint',
      'col.types': 'Events',
      'col.status': 'Status',
      'col.delivered': 'Delivered',
      'col.failedAttempts': 'Failed attempts',
      'col.failedMessages': 'Failed messages',
      'col.inFlight': 'In progress',
      'status.enabled': 'Enabled',
      'status.disabled': 'Disabled',
      'noDescription': 'No description',
      'moreTypes': (n) => `+${n}`,

      'create.title': 'New endpoint',
      'create.intro': 'Tell us where to send events and which ones you want to receive.',
      'edit.title': 'Edit endpoint',
      'help.title': 'Good to know',
      'help.secret': 'After saving, a signing secret for this endpoint is shown once: copy it.',
      'help.signed': 'Each event is sent as a JSON POST signed with that secret (webhook-signature and pp-svc-webhooks-signature headers).',
      'help.retries': 'An HTTP 2xx answer within 10 seconds is a success; otherwise the message is retried up to 5 times at increasing intervals.',
      'help.test': 'From the endpoint details, send a test event to check the set-up.',
      'f.url': 'URL',
      'f.urlHint': 'Address of your system that will receive the signed POST requests, e.g. https://erp.example.com/webhooks.',
      'f.description': 'Description',
      'f.descriptionHint': 'Optional, at most 500 characters.',
      'f.types': 'Events to receive',
      'f.typesHint': 'Choose at least one event type.',
      'f.selected': (n) => `${n} selected`,
      'f.all': 'Select all',
      'f.none': 'Clear all',
      'f.enabled': 'Endpoint enabled',
      'f.enabledHint': 'Untick to stop sending new events.',
      'f.save': 'Save',
      'f.saving': 'Saving…',
      'f.errors': 'Please fix the highlighted fields:',
      'err.urlRequired': 'Enter the endpoint URL.',
      'err.urlInvalid': 'Enter a full URL starting with https:// or http://.',
      'err.typesRequired': 'Tick at least one event type.',
      'err.descriptionLong': 'The description is longer than 500 characters.',
      'group.WEBHOOK': 'Webhook monitoring',
      'nav.notifications': 'Notifications',
      'notif.title': 'Notifications',
      'notif.intro': 'Tell your team by email when an endpoint is failing or disabled, or when a message could not be delivered. The same events exist as webhooks: subscribe an endpoint to the types starting with WEBHOOK_.',
      'notif.recipients': 'Recipients',
      'notif.recipientsHint': 'Up to 10 email addresses, one per line.',
      'notif.events': 'Events sent by email',
      'notif.ev.WEBHOOK_ENDPOINT_FAILING': 'Endpoint failing: every delivery has failed for an hour',
      'notif.ev.WEBHOOK_ENDPOINT_DISABLED': 'Endpoint disabled, automatically or by an administrator',
      'notif.ev.WEBHOOK_MESSAGE_FAILED': 'Message not delivered after all its attempts',
      'notif.language': 'Language of the emails',
      'notif.save': 'Save',
      'notif.saved': 'Notification settings saved.',
      'notif.invalid': (x) => `Invalid address(es): ${x}`,
      'notif.history': 'Latest emails',
      'notif.historyNone': 'No email yet.',
      'notif.col.date': 'Date',
      'notif.col.subject': 'Subject',
      'notif.col.to': 'Recipients',
      'notif.col.status': 'Status',
      'notif.status.sent': 'Sent',
      'notif.status.logged': 'Logged',
      'notif.status.loggedTitle': 'No email service is configured: the message was written to the service’s log.',
      'notif.status.failed': 'Failed',
      'contract.link': 'See the content',
      'contract.open': (ty) => `See the content of ${ty}`,
      'contract.title': (ty) => `Content of ${ty}`,
      'contract.intro': (v) => `Fields of event_data (schema version ${v}). An event that breaks them is refused when published.`,
      'contract.introDoc': (v) => `Fields of event_data (schema version ${v}, documentation only: not checked when published).`,
      'contract.required': 'required',
      'contract.fields': 'Fields',
      'f.filter': 'Filter',
      'f.filterHint': 'A CEL expression over event_type and event_data: only events for which it is true are sent. Empty: every event of the chosen types.',
      'filter.field': 'Field',
      'filter.op': 'Condition',
      'filter.value': 'Value',
      'filter.valueHint': 'AG-75, AG-69',
      'filter.op.eq': 'equals',
      'filter.op.ne': 'differs from',
      'filter.op.in': 'is one of (comma-separated)',
      'filter.op.ge': 'is at least',
      'filter.op.le': 'is at most',
      'filter.op.contains': 'contains',
      'filter.op.has': 'is present',
      'filter.add': 'Add the condition',
      'filter.test': 'Test with the example',
      'filter.sent': (ty) => `${ty}: the example would be sent.`,
      'filter.notSent': (ty) => `${ty}: the example would not be sent.`,
      'filter.error': (ty, e) => `${ty}: the example would not be sent, the filter cannot be evaluated (${e}).`,
      'filter.noTypes': 'Choose at least one event type first.',
      'f.headers': 'Custom headers',
      'f.headersHint': 'Added to every request (10 at most), for example your system’s API key. Values are not shown again once saved.',
      'headers.name': 'Header name',
      'headers.value': 'Value',
      'headers.add': 'Add a header',
      'headers.remove': 'Remove this header',
      'headers.kept': '•••• (unchanged)',
      'group.CONTRACT': 'Work contracts',
      'group.INVOICE': 'Invoices',
      'group.ORDER': 'Orders',
      'group.TIMESHEET': 'Timesheets',
      'group.WORKER': 'Temporary workers',
      'group.other': 'Other',

      'secret.createdTitle': 'Endpoint saved',
      'secret.rotatedTitle': 'New signing secret',
      'secret.label': 'Signing secret',
      'secret.warningTitle': 'Copy this secret now',
      'secret.warning': 'It will never be shown again. Your system uses it to check that the messages it receives really come from Peopulse.',
      'secret.grace': 'The previous secret keeps signing messages for 24 hours while you update your system.',
      'secret.toList': 'Back to the list',
      'secret.toDetail': 'View endpoint',
      'secret.goneTitle': 'Secret no longer available',
      'secret.gone': 'The signing secret is shown only once, right after saving. If you did not copy it, rotate it from the endpoint details.',

      'detail.back': 'Endpoints',
      'detail.edit': 'Edit',
      'detail.test': 'Send a test event',
      'detail.rotate': 'Rotate secret',
      'detail.delete': 'Delete',
      'detail.enable': 'Enable',
      'detail.disable': 'Disable',
      'detail.config': 'Configuration',
      'detail.id': 'ID',
      'detail.url': 'URL',
      'detail.description': 'Description',
      'detail.types': 'Events',
      'detail.headers': 'Extra headers',
      'detail.status': 'Status',
      'detail.created': 'Created',
      'detail.updated': 'Updated',
      'detail.counters': 'Delivery counters',
      'detail.disabledNote': 'This endpoint is disabled: it does not receive new events.',
      'detail.failingSince': (d) => `No successful delivery since ${d}. Check that your system answers with an HTTP 2xx status within 10 seconds.`,
      'detail.disableIn': (span) => `Automatic disabling ${span} unless a delivery succeeds by then.`,
      'status.failing': 'Failing',
      'status.failingTitle': (d) => `Every delivery has failed since ${d}`,

      'chart.title': 'Attempts per hour, last 24 h',
      'chart.ok': 'Succeeded',
      'chart.ko': 'Failed',
      'chart.summary': (ok, ko) => `Last 24 hours: ${ok} successful and ${ko} failed attempt${ko === 1 ? '' : 's'}.`,
      'chart.bucket': (from, to, ok, ko) => `${from}–${to}: ${ok} succeeded, ${ko} failed`,
      'chart.none': 'No delivery attempts in the last 24 hours.',
      'chart.hour': (d) => `${String(d.getHours()).padStart(2, '0')}:00`,

      'log.title': 'Delivery log',
      'log.filter': 'Status',
      'log.all': 'All',
      'log.refresh': 'Refresh',
      'log.live': 'Live updates',
      'log.empty': 'No messages yet. Send a test event to check that your endpoint answers.',
      'log.emptyFiltered': 'No messages with this status.',
      'log.more': 'Load more',
      'log.attempts': (n) => (n === 1 ? '1 attempt' : `${n} attempts`),
      'log.payload': 'Payload',
      'log.payloadOf': (type) => `Payload of message ${type}`,
      'log.replay': 'Replay',
      'log.replayOf': (type) => `Replay message ${type}`,
      'log.details': (type, date) => `${type}, ${date}: show attempts`,
      'log.next': (d) => `Next attempt ${d}`,
      'in': (span) => `in ${span}`,
      'in.now': 'due now',
      'log.messageId': 'Message',
      'msg.pending': 'Pending',
      'msg.delivered': 'Delivered',
      'msg.failed': 'Failed',
      'att.number': '#',
      'att.date': 'Date',
      'att.result': 'Result',
      'att.duration': 'Duration',
      'att.response': 'Response',
      'att.none': 'No attempts yet: the first one is imminent.',
      'att.caption': 'Delivery attempts',
      'att.series': 'Replayed: new series of attempts',
      'fail.http_status': 'Non-2xx HTTP status',
      'fail.timeout': 'Timed out (no answer in time)',
      'fail.connect': 'Could not connect',
      'fail.tls': 'TLS error (certificate or encryption)',
      'fail.dns': 'Host name not found (DNS)',
      'fail.blocked': 'Target address not allowed',
      'fail.endpoint_disabled': 'Endpoint disabled: nothing was sent',
      'fail.io': 'Connection broken',
      'why.timeout': 'Your server did not answer within 10 seconds. Answer 2xx as soon as you receive it, then process the message in the background.',
      'why.connect': 'The connection was refused: nothing listens at this address, or a firewall blocks it. Check that the service is running and that the URL and port are right.',
      'why.tls': 'The HTTPS certificate is invalid, expired, self-signed or for another name. Renew it, or install the full chain of a recognised authority.',
      'why.dns': 'The URL’s domain name cannot be found. Check the URL’s spelling and its DNS record.',
      'why.blocked': 'The address resolves to a private, local or reserved network: the security policy forbids sending there. Use a public URL.',
      'why.io': 'The connection broke during the exchange. Check the stability of the server and of the network equipment (proxy, load balancer).',
      'why.endpoint_disabled': 'The endpoint is disabled: nothing was sent. Enable it, then replay the failed messages.',
      'why.auth': 'Your server refused our signature or token. Check the secret it verifies with and the authentication headers configured.',
      'why.404': 'The URL does not exist on your server. Check the endpoint URL’s path.',
      'why.410': 'Your server answered 410: we stop sending this message. Fix the URL, or replay the message if it was a mistake.',
      'why.413': 'The message is too large for your server. Raise its maximum accepted size (up to 256 KiB).',
      'why.429': 'Your server limits the rate: we slow down and honour its Retry-After header. Raise the limit if it is too low.',
      'why.3xx': 'Your server answered with a redirect, which we do not follow. Enter the final URL directly.',
      'why.4xx': 'Your server refused the request. See the response below and your server’s logs.',
      'why.5xx': 'Your server hit an internal error. See its logs; we retry automatically.',
      'log.replayedTag': 'replayed',

      'recover.summary': 'Recover failed messages…',
      'recover.label': 'Replay every failed message since',
      'recover.submit': 'Recover',
      'recover.invalid': 'Enter a date and time.',
      'recover.done': (n) => (n === 0 ? 'No failed messages to recover in that period.' : n === 1 ? '1 message sent for delivery again.' : `${n} messages sent for delivery again.`),

      'toast.testSent': 'Test event sent: it shows in the delivery log.',
      'toast.replayed': 'Message sent for delivery again.',
      'toast.saved': 'Changes saved.',
      'toast.deleted': 'Endpoint deleted.',
      'toast.enabled': 'Endpoint enabled.',
      'toast.disabled': 'Endpoint disabled.',

      'confirm.deleteTitle': 'Delete this endpoint?',
      'confirm.deleteBody': (url) => `${url} will no longer receive any events and its delivery log will be erased. This cannot be undone.`,
      'confirm.delete': 'Delete permanently',
      'confirm.rotateTitle': 'Rotate the signing secret?',
      'confirm.rotateBody': 'A new secret will be generated and shown once. The previous one keeps signing messages for 24 hours.',
      'confirm.rotate': 'Rotate',

      'payload.title': 'Payload',
      'payload.copy': 'Copy JSON',

      'err.title': 'This page could not be shown',
      'err.network': 'The service does not answer. Check your connection and try again.',
      'err.forbidden': 'Access denied: your token does not allow this action.',
      'err.notFound': 'This endpoint does not exist or was deleted.',
      'err.route': 'This page does not exist.',
      'err.generic': (s) => `Unexpected error (HTTP ${s}).`,
      'err.back': 'Back to the list',

      'ms': (n) => `${n} ms`,
      's': (n) => `${n.toLocaleString('en-GB', { maximumFractionDigits: 1 })} s`,
    },
  };

  let lang = readLang();

  function readLang() {
    try {
      const v = localStorage.getItem(LANG_KEY);
      return v === 'en' || v === 'fr' ? v : 'fr';
    } catch (_) {
      return 'fr';
    }
  }

  /** Translated string; functions in the table take `args`. */
  function t(key, ...args) {
    const v = I18N[lang][key] ?? I18N.fr[key];
    if (typeof v === 'function') return v(...args);
    return v ?? key;
  }

  const locale = () => (lang === 'fr' ? 'fr-FR' : 'en-GB');

  function fmtDate(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
  }

  // "in 22 h 11 min" / "dans 22 h 11 min": how far away a time is, to the minute (seconds
  // under a minute, days and hours from two days), or "now" once it has passed.
  function fmtIn(iso) {
    const ms = new Date(iso).getTime() - Date.now();
    if (Number.isNaN(ms)) return iso;
    if (ms <= 0) return t('in.now');
    const s = Math.round(ms / 1000);
    const hours = Math.floor(s / 3600), mins = Math.floor((s % 3600) / 60);
    const days = Math.floor(hours / 24);
    const span = s < 60 ? `${s} s`
      : days >= 2 ? `${days} ${lang === 'fr' ? 'j' : 'd'} ${hours % 24} h`
        : hours > 0 ? `${hours} h ${String(mins).padStart(2, '0')} min` : `${mins} min`;
    return t('in', span);
  }

  function fmtDuration(ms) {
    if (ms == null) return '—';
    return ms < 1000 ? t('ms', ms) : t('s', ms / 1000);
  }

  const fmtInt = (n) => new Intl.NumberFormat(locale()).format(n || 0);

  // ---------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------
  const SVG_NS = 'http://www.w3.org/2000/svg';

  /**
   * Creates an element. `attrs`: `class`, `text`, `on<event>` handlers, boolean attributes
   * (true/false), others as strings. Children: nodes, strings, arrays, null (skipped).
   */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    applyAttrs(el, attrs);
    appendAll(el, children);
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    applyAttrs(el, attrs);
    appendAll(el, children);
    return el;
  }

  function applyAttrs(el, attrs) {
    if (!attrs) return;
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'style') throw new Error('style attributes are blocked by the CSP');
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function appendAll(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  const app = document.getElementById('app');
  let uid = 0;
  const nextId = (p) => `${p}-${++uid}`;

  function spinner(label) {
    return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), ' ', label || t('loading'));
  }

  function icon(name) {
    const paths = {
      plus: 'M12 5v14M5 12h14',
      copy: 'M9 9h10v10H9zM5 15V5h10',
      back: 'M15 18l-6-6 6-6',
      chevron: 'M9 6l6 6-6 6',
      refresh: 'M20 11a8 8 0 10-2.3 5.7M20 4v7h-7',
      send: 'M4 12l16-8-6 16-2.5-6.5z',
      key: 'M14 10a4 4 0 11-1.2-2.8L21 7v3h-2v2h-2v2l-3-1.3',
      edit: 'M4 20h4L19 9l-4-4L4 16zM13.5 6.5l4 4',
      trash: 'M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13',
      replay: 'M4 4v6h6M4.6 15a8 8 0 101.8-8.4L4 10',
      code: 'M8 8l-4 4 4 4M16 8l4 4-4 4',
      power: 'M12 3v8M7 6.3a7 7 0 1010 0',
      warn: 'M12 3l10 18H2zM12 10v5M12 18v.5',
      hook: 'M9 7a3 3 0 116 0c0 2-3 3-3 5M12 16v1M6 20h12',
      logout: 'M14 4h5v16h-5M10 8l-4 4 4 4M6 12h10',
      lock: 'M6 11h12v9H6zM9 11V8a3 3 0 016 0v3M12 15v2',
    };
    return s('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
      s('path', { d: paths[name] || '' }));
  }

  function badge(status) {
    return h('span', { class: `badge badge-${status}`, text: t(`msg.${status}`) });
  }

  function enabledBadge(enabled, reason) {
    return h('span', { class: `badge ${enabled ? 'badge-enabled' : 'badge-disabled'}`, title: (!enabled && reason) || null, text: t(enabled ? 'status.enabled' : 'status.disabled') });
  }

  function chips(types, max) {
    const shown = max && types.length > max + 1 ? types.slice(0, max) : types;
    const ul = h('ul', { class: 'chips' }, shown.map((ty) => h('li', { class: 'chip', text: ty, title: typeDescription(ty) || null })));
    if (shown.length < types.length) {
      const rest = types.slice(shown.length);
      ul.append(h('li', { class: 'chip chip-more', text: t('moreTypes', rest.length), title: rest.join(', ') }));
    }
    return ul;
  }

  function setTitle(part) {
    document.title = part ? `${part} · ${t('app.title')}` : t('app.title');
  }

  // Toasts: short confirmations in a polite live region.
  function toast(message, kind) {
    const box = document.getElementById('toasts');
    const el = h('div', { class: `toast ${kind === 'error' ? 'toast-error' : ''}`, text: message });
    box.append(el);
    while (box.children.length > 3) box.firstElementChild.remove();
    setTimeout(() => el.classList.add('toast-out'), 4500);
    setTimeout(() => el.remove(), 5000);
  }

  async function copyText(text, button) {
    let ok = false;
    try {
      await navigator.clipboard.writeText(text);
      ok = true;
    } catch (_) {
      // Fallback for browsers without the async clipboard (or without permission).
      const ta = h('textarea', { class: 'visually-hidden', readonly: true });
      ta.value = text;
      document.body.append(ta);
      ta.select();
      try {
        ok = document.execCommand('copy');
      } catch (_) {
        ok = false;
      }
      ta.remove();
    }
    if (button) {
      const label = button.querySelector('.btn-label') || button;
      const before = label.textContent;
      label.textContent = ok ? t('copied') : before;
      button.classList.toggle('is-copied', ok);
      if (ok) {
        setTimeout(() => {
          if (label.isConnected) label.textContent = before;
          button.classList.remove('is-copied');
        }, 2000);
      }
    }
    if (!ok) toast(t('copyFailed'), 'error');
    return ok;
  }

  // ---------------------------------------------------------------------------------------
  // Token and API
  // ---------------------------------------------------------------------------------------
  function getToken() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return memoryToken;
    }
  }
  let memoryToken = '';

  function setToken(v) {
    memoryToken = v;
    try {
      if (v) sessionStorage.setItem(TOKEN_KEY, v);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch (_) {
      /* storage disabled: the in-memory copy is used */
    }
    document.getElementById('logout').hidden = !v;
  }

  /** Takes `#token=…` from the portal link, keeps it in sessionStorage, removes it from the URL. */
  function takeTokenFromFragment() {
    const raw = location.hash.replace(/^#/, '');
    if (raw.startsWith('/')) return;
    const parts = raw.split('&');
    let token = null;
    for (const p of parts) {
      const i = p.indexOf('=');
      const k = i < 0 ? p : p.slice(0, i);
      if (k === 'token') {
        try {
          token = decodeURIComponent(p.slice(i + 1));
        } catch (_) {
          token = p.slice(i + 1);
        }
      }
    }
    if (token === null) return;
    if (token) setToken(token.trim());
    history.replaceState(history.state, '', `${location.pathname}${location.search}#/endpoints`);
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
      this.status = status;
      this.problem = problem || {};
      this.errors = Array.isArray(this.problem.errors) ? this.problem.errors : [];
    }
  }

  let tokenRejected = false;

  async function api(method, path, body) {
    const token = getToken();
    if (!token) {
      showTokenScreen();
      throw new ApiError(401, { detail: t('token.required'), handled: true });
    }
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json, application/problem+json' };
    const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (_) {
      throw new ApiError(0, { detail: t('err.network') });
    }
    if (resp.status === 401) {
      setToken('');
      tokenRejected = true;
      showTokenScreen();
      throw new ApiError(401, { detail: t('token.rejected'), handled: true });
    }
    if (resp.status === 204) return null;
    const text = await resp.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (_) {
        data = null;
      }
    }
    if (!resp.ok) throw new ApiError(resp.status, data || { detail: text || resp.statusText });
    return data;
  }

  /** A human sentence for an API error: the problem's detail, or a message for the status. */
  function errorText(err, what) {
    if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
    if (err.status === 403) return err.problem.detail ? `${t('err.forbidden')} (${err.problem.detail})` : t('err.forbidden');
    if (err.status === 404 && what === 'endpoint') return t('err.notFound');
    return err.problem.detail || err.problem.title || t('err.generic', err.status);
  }

  const isHandled = (err) => err instanceof ApiError && err.problem && err.problem.handled;

  let catalogCache = null;
  async function catalog() {
    if (!catalogCache) {
      catalogCache = api('GET', '/v1/event-types').then((r) => r.data || []);
      catalogCache.catch(() => {
        catalogCache = null;
      });
    }
    return catalogCache;
  }
  let catalogList = [];
  function typeDescription(name) {
    const e = catalogList.find((x) => x.name === name);
    return e ? (e.description && (e.description[lang] || e.description.fr)) || '' : '';
  }

  const enc = encodeURIComponent;

  /** Label of an attempt's failure kind (`timeout`, `dns`…); unknown kinds are shown as sent. */
  function failureText(kind) {
    const key = `fail.${kind}`;
    return I18N[lang][key] ? t(key) : kind;
  }

  /** What a failed attempt means and what to do, from its status code and error kind
   *  (never from message text); `null` for a success or nothing known. */
  function explainFailure(code, kind) {
    let key = null;
    if (kind && kind !== 'http_status') key = `why.${kind}`;
    else if (code === 401 || code === 403) key = 'why.auth';
    else if ([404, 410, 413, 429].includes(code)) key = `why.${code}`;
    else if (code >= 300 && code < 400) key = 'why.3xx';
    else if (code >= 400 && code < 500) key = 'why.4xx';
    else if (code >= 500) key = 'why.5xx';
    return key && I18N[lang][key] ? t(key) : null;
  }

  // The API's validation messages are English; French labels for the known ones.
  const SERVER_MESSAGES_FR = [
    [/^must be an http\(s\) URL$/, () => 'doit être une URL http(s)'],
    [/^must use https$/, () => 'doit utiliser https://'],
    [/^must have a host$/, () => 'doit comporter un nom d’hôte'],
    [/^must not contain credentials$/, () => 'ne doit pas contenir d’identifiants (utilisateur:mot de passe@)'],
    [/^must not contain a fragment$/, () => 'ne doit pas contenir de fragment (#…)'],
    [/^must not point at a non-public address \((.*)\)$/, (m) => `ne doit pas viser une adresse non publique (${m[1]})`],
    [/^must be an absolute URL \((.*)\)$/, (m) => `doit être une URL absolue (${m[1]})`],
    [/^must be at most (\d+) characters$/, (m) => `${m[1]} caractères au plus`],
    [/^must list between (\d+) and (\d+) event types$/, (m) => `doit comporter entre ${m[1]} et ${m[2]} types d’événements`],
    [/^unknown event type "(.*)"$/, (m) => `type d’événement inconnu « ${m[1]} »`],
  ];
  function serverMessage(msg) {
    if (lang !== 'fr' || typeof msg !== 'string') return msg;
    for (const [re, fn] of SERVER_MESSAGES_FR) {
      const m = msg.match(re);
      if (m) return fn(m);
    }
    return msg;
  }

  // ---------------------------------------------------------------------------------------
  // Dialogs (native <dialog>: focus moves in, Escape closes, focus goes back to the opener)
  // ---------------------------------------------------------------------------------------
  function openDialog({ title, body, actions, wide, onClose, labelledBy }) {
    const opener = document.activeElement;
    const titleId = labelledBy || nextId('dlg-title');
    const dlg = h('dialog', { class: `dialog ${wide ? 'dialog-wide' : ''}`, 'aria-labelledby': titleId },
      h('div', { class: 'dialog-head' },
        h('h2', { id: titleId, class: 'dialog-title', text: title }),
        h('button', { type: 'button', class: 'btn btn-icon dialog-x', 'aria-label': t('close'), onclick: () => dlg.close('cancel') },
          s('svg', { class: 'icon', viewBox: '0 0 24 24', 'aria-hidden': 'true' }, s('path', { d: 'M6 6l12 12M18 6L6 18' })))),
      h('div', { class: 'dialog-body' }, body),
      actions ? h('div', { class: 'dialog-actions' }, actions) : null);
    dlg.addEventListener('close', () => {
      dlg.remove();
      if (onClose) onClose(dlg.returnValue);
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    });
    // Clicking the backdrop closes the dialog.
    dlg.addEventListener('click', (e) => {
      if (e.target === dlg) dlg.close('cancel');
    });
    document.body.append(dlg);
    dlg.showModal();
    const auto = dlg.querySelector('[data-autofocus]');
    if (auto) auto.focus();
    return dlg;
  }

  function confirmDialog({ title, body, confirmLabel, danger }) {
    return new Promise((resolve) => {
      let dlg = null;
      const cancel = h('button', { type: 'button', class: 'btn btn-secondary', 'data-autofocus': true, text: t('cancel'), onclick: () => dlg.close('cancel') });
      const ok = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-confirm': true, text: confirmLabel, onclick: () => dlg.close('ok') });
      dlg = openDialog({
        title,
        body: h('p', { text: body }),
        actions: [cancel, ok],
        onClose: (v) => resolve(v === 'ok'),
      });
      dlg.setAttribute('role', 'alertdialog');
    });
  }

  // ---------------------------------------------------------------------------------------
  // Router
  // ---------------------------------------------------------------------------------------
  let gen = 0; // incremented on each render; async work from an older view stops writing
  let cleanup = []; // timers and observers of the current view
  let currentRoute = null;
  let previousRouteKey = null;
  let captureDraft = null; // returns the form state of the current view (kept over a language switch)
  let draft = null;

  /** Secret just returned by create/rotate. Only in this variable, for the secret route of that id. */
  let secretHolder = null;

  function parseRoute() {
    const raw = location.hash.replace(/^#/, '');
    const parts = raw.split('?')[0].split('/').filter(Boolean).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch (_) {
        return p;
      }
    });
    const query = new URLSearchParams(raw.split('?')[1] || '');
    if (parts.length === 0) return { name: 'root' };
    if (parts.length === 1 && parts[0] === 'search') return { name: 'search', id: query.get('event_id') || '' };
    if (parts.length === 1 && parts[0] === 'failed') return { name: 'failed' };
    if (parts.length === 1 && parts[0] === 'notifications') return { name: 'notifications' };
    if (parts[0] !== 'endpoints') return { name: 'notfound' };
    if (parts.length === 1) return { name: 'list' };
    if (parts.length === 2 && parts[1] === 'new') return { name: 'create' };
    if (parts.length === 2) return { name: 'detail', id: parts[1], msg: query.get('msg') || null };
    if (parts.length === 3 && parts[2] === 'edit') return { name: 'edit', id: parts[1] };
    if (parts.length === 3 && parts[2] === 'secret') return { name: 'secret', id: parts[1] };
    return { name: 'notfound' };
  }

  const routeKey = (r) => `${r.name}:${r.id || ''}`;

  function go(hash, replace) {
    if (replace) location.replace(hash);
    else location.hash = hash;
  }

  function render(opts = {}) {
    const route = parseRoute();
    if (route.name === 'root') {
      go('#/endpoints', true);
      return;
    }
    const sameRoute = currentRoute && routeKey(currentRoute) === routeKey(route);
    if (!sameRoute) {
      draft = null;
      if (!(route.name === 'secret' && secretHolder && secretHolder.id === route.id)) secretHolder = null;
    }
    for (const fn of cleanup) fn();
    cleanup = [];
    captureDraft = null;
    gen += 1;
    const myGen = gen;
    const moveFocus = !!currentRoute && !sameRoute && !opts.keepFocus;
    if (!sameRoute) previousRouteKey = currentRoute ? routeKey(currentRoute) : null;
    currentRoute = route;
    document.querySelectorAll('dialog').forEach((d) => d.close());

    if (!getToken()) {
      showTokenScreen();
      return;
    }
    const views = { list: viewList, create: viewForm, edit: viewForm, detail: viewDetail, secret: viewSecret, search: viewSearch, failed: viewFailed, notifications: viewNotifications, notfound: viewNotFound };
    views[route.name](route, myGen, moveFocus);
  }

  const alive = (g) => g === gen;

  /** Moves focus to the page heading after a navigation (screen readers announce the new page). */
  function focusHeading(should) {
    if (!should) return;
    const h1 = app.querySelector('h1');
    if (h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }

  function errorView(err, { what, retry } = {}) {
    const status = err instanceof ApiError ? err.status : 0;
    const title = status === 404 && what === 'endpoint' ? t('err.notFound') : t('err.title');
    return h('section', { class: 'panel state state-error', role: 'alert' },
      h('h1', { class: 'state-title', text: title }),
      status === 404 && what === 'endpoint' ? null : h('p', { class: 'state-text', text: errorText(err, what) }),
      h('div', { class: 'state-actions' },
        retry && status !== 404 ? h('button', { type: 'button', class: 'btn btn-primary', text: t('retry'), onclick: retry }) : null,
        h('a', { class: 'btn btn-secondary', href: '#/endpoints', text: t('err.back') })));
  }

  function showError(err, g, opts) {
    if (isHandled(err) || !alive(g)) return;
    app.replaceChildren(errorView(err, opts));
    setTitle(t('err.title'));
  }

  // ---------------------------------------------------------------------------------------
  // Token screen
  // ---------------------------------------------------------------------------------------
  function showTokenScreen() {
    for (const fn of cleanup) fn();
    cleanup = [];
    gen += 1;
    captureDraft = null;
    document.querySelectorAll('dialog').forEach((d) => d.close());
    setTitle(t('token.label'));
    const inputId = nextId('token');
    const errId = nextId('token-err');
    const input = h('input', { id: inputId, name: 'token', type: 'password', class: 'input input-mono', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${inputId}-hint` });
    const err = h('p', { id: errId, class: 'field-error', hidden: true });
    const form = h('form', { class: 'panel token-panel', novalidate: true },
      h('div', { class: 'token-mark', 'aria-hidden': 'true' }, icon('lock')),
      h('h1', { text: t('token.title') }),
      h('p', { class: 'muted', text: t('token.intro') }),
      tokenRejected ? h('p', { class: 'alert alert-error', role: 'alert', text: t('token.rejected') }) : null,
      h('div', { class: 'field' },
        h('label', { for: inputId, class: 'label', text: t('token.label') }),
        input,
        h('p', { id: `${inputId}-hint`, class: 'hint', text: t('token.hint') }),
        err),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', text: t('token.submit') })));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (!v) {
        err.textContent = t('token.required');
        err.hidden = false;
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', `${inputId}-hint ${errId}`);
        input.focus();
        return;
      }
      tokenRejected = false;
      setToken(v);
      currentRoute = null;
      render();
    });
    app.replaceChildren(h('div', { class: 'token-wrap' }, form));
    input.focus();
  }

  // ---------------------------------------------------------------------------------------
  // Screen: endpoint list
  // ---------------------------------------------------------------------------------------
  async function viewList(route, g, moveFocus) {
    setTitle(t('list.title'));
    const addBtn = h('a', { class: 'btn btn-primary', href: '#/endpoints/new' }, icon('plus'), h('span', { text: t('list.add') }));
    const head = h('div', { class: 'page-head' },
      h('div', null, h('h1', { text: t('list.title') }), h('p', { class: 'muted page-intro', text: t('list.intro') })),
      h('div', { class: 'page-actions', id: 'list-actions' }));
    const body = h('div', { 'aria-busy': 'true' }, spinner());
    app.replaceChildren(head, searchForm(), body);
    focusHeading(moveFocus);
    let eps;
    try {
      const [r, c] = await Promise.all([api('GET', '/v1/endpoints'), catalog().catch(() => [])]);
      eps = r.data || [];
      catalogList = c;
    } catch (err) {
      return showError(err, g, { retry: () => render({ keepFocus: true }) });
    }
    if (!alive(g)) return;
    body.removeAttribute('aria-busy');
    if (eps.length === 0) {
      body.replaceChildren(h('section', { class: 'panel empty', 'data-testid': 'empty-state' },
        h('div', { class: 'empty-art', 'aria-hidden': 'true' }, emptyArt()),
        h('h2', { class: 'empty-title', text: t('empty.title') }),
        h('p', { class: 'empty-text', text: t('empty.body') }),
        h('a', { class: 'btn btn-primary btn-large', href: '#/endpoints/new' }, icon('plus'), h('span', { text: t('empty.cta') }))));
      return;
    }
    document.getElementById('list-actions').append(
      h('a', { class: 'btn btn-secondary', href: '#/notifications', 'data-testid': 'notifications-link' }, h('span', { text: t('nav.notifications') })),
      h('a', { class: 'btn btn-secondary', href: '#/failed', 'data-testid': 'recent-failures' }, h('span', { text: t('failed.link') })), addBtn);
    const rows = eps.map((ep) => {
      const c = ep.counters || {};
      const num = (key, val, cls) => h('td', { class: `num ${cls || ''} ${val ? '' : 'is-zero'}`, 'data-label': t(key) }, h('span', { class: 'num-val', text: fmtInt(val) }));
      return h('tr', { 'data-endpoint-id': ep.id },
        h('td', { class: 'cell-endpoint', 'data-label': t('col.endpoint') },
          h('a', { class: 'endpoint-link', href: `#/endpoints/${enc(ep.id)}`, text: ep.url }),
          h('span', { class: `endpoint-desc ${ep.description ? '' : 'muted-i'}`, text: ep.description || t('noDescription') })),
        h('td', { 'data-label': t('col.types') }, chips(ep.event_types || [], 3)),
        h('td', { 'data-label': t('col.status') }, enabledBadge(ep.enabled, ep.disabled_reason),
          ep.failing ? h('span', { class: 'badge badge-failed', 'data-testid': 'failing-badge', title: t('status.failingTitle', fmtDate(ep.failing_since)), text: t('status.failing') }) : null),
        num('col.delivered', c.delivered, 'num-ok'),
        num('col.failedAttempts', c.failed_attempts, 'num-warn'),
        num('col.failedMessages', c.failed_messages, 'num-ko'),
        num('col.inFlight', c.in_flight, 'num-info'));
    });
    const th = (key, cls) => h('th', { scope: 'col', class: cls || null, text: t(key) });
    body.replaceChildren(
      h('div', { class: 'panel table-panel' },
        h('table', { class: 'table endpoints-table' },
          h('caption', { class: 'visually-hidden', text: t('list.count', eps.length) }),
          h('thead', null, h('tr', null, th('col.endpoint'), th('col.types'), th('col.status'), th('col.delivered', 'num'), th('col.failedAttempts', 'num'), th('col.failedMessages', 'num'), th('col.inFlight', 'num'))),
          h('tbody', null, rows))),
      h('p', { class: 'muted table-foot', text: t('list.count', eps.length) }));
  }

  /** The list screen's "where is my event?" box. */
  function searchForm() {
    const inputId = nextId('search');
    const input = h('input', { id: inputId, name: 'event_id', type: 'search', class: 'input input-mono', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${inputId}-hint`, maxlength: 255 });
    const form = h('form', { class: 'panel search-panel', role: 'search', 'data-testid': 'event-search' },
      h('label', { for: inputId, class: 'label', text: t('search.label') }),
      h('div', { class: 'search-row' }, input, h('button', { type: 'submit', class: 'btn btn-secondary', text: t('search.submit') })),
      h('p', { id: `${inputId}-hint`, class: 'hint', text: t('search.hint') }));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (v) go(`#/search?event_id=${encodeURIComponent(v)}`);
      else input.focus();
    });
    return form;
  }

  const failText = (code, err) => t('search.last', code, err && (I18N[lang][`fail.${err}`] ? t(`fail.${err}`) : err));

  // ---------------------------------------------------------------------------------------
  // Screen: an event found by its id
  // ---------------------------------------------------------------------------------------
  async function viewSearch(route, g, moveFocus) {
    setTitle(t('search.title', route.id));
    const body = h('div', { 'aria-busy': 'true' }, spinner());
    app.replaceChildren(breadcrumb([{ text: t('search.title', route.id) }]), h('h1', { text: t('search.title', route.id) }), searchForm(), body);
    focusHeading(moveFocus);
    let ev;
    try {
      ev = await api('GET', `/v1/messages?event_id=${encodeURIComponent(route.id)}`);
    } catch (err) {
      if (!alive(g) || isHandled(err)) return;
      if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
        body.removeAttribute('aria-busy');
        body.replaceChildren(h('p', { class: 'panel state', 'data-testid': 'search-none', role: 'status', text: t('search.notFound') }));
        return;
      }
      return showError(err, g, { retry: () => render({ keepFocus: true }) });
    }
    if (!alive(g)) return;
    body.removeAttribute('aria-busy');
    if (!ev.fan_out) {
      body.replaceChildren(h('p', { class: 'panel state', 'data-testid': 'search-unsubscribed', role: 'status', text: t('search.noSubscriber', ev.event_type) }));
      return;
    }
    const rows = ev.deliveries.map((d) => h('tr', { 'data-endpoint-id': d.endpoint_id },
      h('td', { 'data-label': t('failed.col.endpoint') }, d.url
        ? h('a', { href: `#/endpoints/${enc(d.endpoint_id)}?msg=${enc(ev.message_id)}`, text: d.url, title: t('search.open') })
        : h('span', { class: 'muted-i', text: t('search.deleted') })),
      h('td', { 'data-label': t('col.status') }, d.status === 'queued' ? h('span', { class: 'badge badge-pending', text: t('search.queued') }) : badge(d.status)),
      h('td', { class: 'num', 'data-label': t('failed.col.attempts') }, fmtInt(d.attempt_count)),
      h('td', { 'data-label': t('failed.col.last') },
        d.attempt_count ? failText(d.last_status_code, d.status === 'delivered' ? null : d.last_error) : '—',
        d.status !== 'delivered' && d.attempt_count ? h('p', { class: 'att-why', text: explainFailure(d.last_status_code, d.last_error) || '' }) : null,
        d.status === 'pending' && d.next_attempt_at ? h('span', { class: 'hint', text: ` · ${t('log.next', fmtIn(d.next_attempt_at))}` }) : null)));
    body.replaceChildren(
      h('p', { class: 'muted', text: t('search.summary', ev.event_type, fmtDate(ev.created_at), ev.fan_out) }),
      h('div', { class: 'panel table-panel' },
        h('table', { class: 'table', 'data-testid': 'search-result' },
          h('thead', null, h('tr', null, ['failed.col.endpoint', 'col.status', 'failed.col.attempts', 'failed.col.last'].map((k) => h('th', { scope: 'col', text: t(k) })))),
          h('tbody', null, rows))));
  }

  // ---------------------------------------------------------------------------------------
  // Screen: recent failures, across endpoints
  // ---------------------------------------------------------------------------------------
  async function viewFailed(route, g, moveFocus) {
    setTitle(t('failed.title'));
    const since = new Date(Date.now() - 7 * 86400e3).toISOString();
    const status = h('p', { class: 'alert alert-ok', role: 'status', hidden: true });
    const replayAll = h('button', { type: 'button', class: 'btn btn-warning', 'data-testid': 'replay-all', hidden: true }, icon('replay'), h('span', { text: t('failed.replayAll') }));
    const tbody = h('tbody');
    const more = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true, text: t('failed.more') });
    const body = h('div', { 'aria-busy': 'true' }, spinner());
    app.replaceChildren(breadcrumb([{ text: t('failed.title') }]),
      h('div', { class: 'page-head' },
        h('div', null, h('h1', { text: t('failed.title') }), h('p', { class: 'muted page-intro', text: t('failed.intro') })),
        h('div', { class: 'page-actions' }, replayAll)),
      status, body);
    focusHeading(moveFocus);
    const shown = [];
    let cursor = null;
    async function load() {
      let page;
      try {
        page = await api('GET', `/v1/messages?status=failed&since=${encodeURIComponent(since)}&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      } catch (err) {
        return showError(err, g, { retry: () => render({ keepFocus: true }) });
      }
      if (!alive(g)) return;
      for (const f of page.data || []) {
        shown.push(f);
        tbody.append(h('tr', { 'data-message-id': f.message_id },
          h('td', { 'data-label': t('failed.col.message') },
            h('a', { href: `#/endpoints/${enc(f.endpoint_id)}?msg=${enc(f.message_id)}`, text: f.event_type }),
            h('span', { class: 'endpoint-desc', text: fmtDate(f.created_at) })),
          h('td', { 'data-label': t('failed.col.endpoint') }, h('a', { href: `#/endpoints/${enc(f.endpoint_id)}`, text: f.url })),
          h('td', { class: 'num', 'data-label': t('failed.col.attempts') }, fmtInt(f.attempt_count)),
          h('td', { 'data-label': t('failed.col.last') }, fmtDate(f.last_attempt_at))));
      }
      cursor = page.next_cursor || null;
      more.hidden = !cursor;
      replayAll.hidden = shown.length === 0;
      body.removeAttribute('aria-busy');
      body.replaceChildren(shown.length
        ? h('div', null,
          h('div', { class: 'panel table-panel' },
            h('table', { class: 'table', 'data-testid': 'failed-list' },
              h('thead', null, h('tr', null, ['failed.col.message', 'failed.col.endpoint', 'failed.col.attempts', 'failed.col.last'].map((k) => h('th', { scope: 'col', text: t(k) })))),
              tbody)),
          h('div', { class: 'form-actions' }, more))
        : h('p', { class: 'panel state', 'data-testid': 'failed-none', text: t('failed.none') }));
    }
    more.addEventListener('click', load);
    // The existing recovery, per endpoint, since the oldest message shown there.
    replayAll.addEventListener('click', async () => {
      replayAll.disabled = true;
      const oldest = new Map();
      for (const f of shown) {
        const o = oldest.get(f.endpoint_id);
        if (!o || f.created_at < o) oldest.set(f.endpoint_id, f.created_at);
      }
      let n = 0;
      try {
        for (const [ep, from] of oldest) {
          for (let done = false; !done;) {
            const r = await api('POST', `/v1/endpoints/${enc(ep)}/recover`, { since: from });
            n += r.recovered || 0;
            done = r.complete !== false;
          }
        }
      } catch (err) {
        replayAll.disabled = false;
        return showError(err, g);
      }
      if (!alive(g)) return;
      status.textContent = t('failed.replayed', n);
      status.hidden = false;
      replayAll.hidden = true;
    });
    await load();
  }

  // ---------------------------------------------------------------------------------------
  // Screen: notification settings and the latest mails
  // ---------------------------------------------------------------------------------------
  const OPERATIONAL_TYPES = ['WEBHOOK_ENDPOINT_FAILING', 'WEBHOOK_ENDPOINT_DISABLED', 'WEBHOOK_MESSAGE_FAILED'];

  async function viewNotifications(route, g, moveFocus) {
    setTitle(t('notif.title'));
    const body = h('div', { 'aria-busy': 'true' }, spinner());
    app.replaceChildren(breadcrumb([{ text: t('notif.title') }]),
      h('div', { class: 'page-head' }, h('div', null, h('h1', { text: t('notif.title') }), h('p', { class: 'muted page-intro', text: t('notif.intro') }))),
      body);
    focusHeading(moveFocus);
    let settings;
    let history;
    try {
      [settings, history] = await Promise.all([api('GET', '/v1/notifications'), api('GET', '/v1/notifications/history?limit=20')]);
    } catch (err) {
      return showError(err, g, { retry: () => render({ keepFocus: true }) });
    }
    if (!alive(g)) return;
    body.removeAttribute('aria-busy');
    const toId = nextId('recipients');
    const recipients = h('textarea', { id: toId, name: 'recipients', class: 'input textarea input-mono', rows: 3, 'aria-describedby': `${toId}-hint ${toId}-err`, spellcheck: 'false' });
    recipients.value = (settings.recipients || []).join('\n');
    const toErr = h('p', { id: `${toId}-err`, class: 'field-error', hidden: true });
    const boxes = OPERATIONAL_TYPES.map((ty) => {
      const cb = h('input', { type: 'checkbox', id: nextId('ev'), name: 'events', value: ty, class: 'checkbox' });
      cb.checked = (settings.events || []).includes(ty);
      return cb;
    });
    const langSel = h('select', { id: nextId('mail-lang'), name: 'language', class: 'input input-narrow' },
      h('option', { value: 'fr', text: 'Français' }), h('option', { value: 'en', text: 'English' }));
    langSel.value = settings.language || 'fr';
    const saved = h('p', { class: 'alert alert-ok', role: 'status', hidden: true, text: t('notif.saved') });
    const form = h('form', { class: 'panel form', novalidate: true, 'data-testid': 'notifications-form' },
      h('div', { class: 'field' },
        h('label', { for: toId, class: 'label', text: t('notif.recipients') }), recipients,
        h('p', { id: `${toId}-hint`, class: 'hint', text: t('notif.recipientsHint') }), toErr),
      h('fieldset', { class: 'field fieldset' }, h('legend', { class: 'label', text: t('notif.events') }),
        boxes.map((cb) => h('label', { class: 'type-option check-row', for: cb.id }, cb, h('span', { class: 'check-text' }, h('code', { class: 'code-inline', text: cb.value }), ' ', t(`notif.ev.${cb.value}`))))),
      h('div', { class: 'field' }, h('label', { for: langSel.id, class: 'label', text: t('notif.language') }), langSel),
      h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save-notifications', text: t('notif.save') })),
      saved);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      saved.hidden = true;
      toErr.hidden = true;
      const next = {
        recipients: recipients.value.split(/[\n,;]/).map((x) => x.trim()).filter(Boolean),
        events: boxes.filter((cb) => cb.checked).map((cb) => cb.value),
        language: langSel.value,
      };
      try {
        const out = await api('PUT', '/v1/notifications', next);
        recipients.value = out.recipients.join('\n');
        saved.hidden = false;
      } catch (err) {
        if (!alive(g) || isHandled(err)) return;
        const bad = (err.errors || []).map((x) => {
          const i = /^recipients\[(\d+)\]$/.exec(x.field || '');
          return i ? next.recipients[Number(i[1])] : null;
        }).filter(Boolean);
        toErr.textContent = bad.length ? t('notif.invalid', bad.join(', ')) : errorText(err);
        toErr.hidden = false;
        recipients.setAttribute('aria-invalid', 'true');
        recipients.focus();
      }
    });
    const rows = (history.data || []).map((n) => h('tr', { 'data-notification': n.message_id },
      h('td', { 'data-label': t('notif.col.date') }, fmtDate(n.created_at)),
      h('td', { 'data-label': t('notif.col.subject') }, h('a', { href: `#/endpoints/${enc(n.endpoint_id)}`, text: n.subject })),
      h('td', { 'data-label': t('notif.col.to') }, (n.recipients || []).join(', ')),
      h('td', { 'data-label': t('notif.col.status') },
        h('span', { class: `badge ${n.status === 'failed' ? 'badge-failed' : n.status === 'sent' ? 'badge-delivered' : 'badge-pending'}`, title: n.status === 'logged' ? t('notif.status.loggedTitle') : (n.error || null), text: t(`notif.status.${n.status}`) }),
        n.error ? h('p', { class: 'att-why', text: n.error }) : null)));
    body.replaceChildren(form,
      h('h2', { class: 'panel-title section-title', text: t('notif.history') }),
      rows.length
        ? h('div', { class: 'panel table-panel' }, h('table', { class: 'table', 'data-testid': 'notification-history' },
          h('thead', null, h('tr', null, ['notif.col.date', 'notif.col.subject', 'notif.col.to', 'notif.col.status'].map((k) => h('th', { scope: 'col', text: t(k) })))),
          h('tbody', null, rows)))
        : h('p', { class: 'panel state', 'data-testid': 'notification-history-none', text: t('notif.historyNone') }));
  }

  function emptyArt() {
    return s('svg', { viewBox: '0 0 120 80', class: 'empty-svg' },
      s('rect', { x: 8, y: 22, width: 40, height: 36, rx: 6, class: 'ea-box' }),
      s('rect', { x: 72, y: 22, width: 40, height: 36, rx: 6, class: 'ea-box ea-box2' }),
      s('path', { d: 'M48 40h24', class: 'ea-line' }),
      s('path', { d: 'M66 35l6 5-6 5', class: 'ea-line' }),
      s('circle', { cx: 28, cy: 40, r: 7, class: 'ea-dot' }),
      s('path', { d: 'M84 36h16M84 44h10', class: 'ea-text' }));
  }

  // ---------------------------------------------------------------------------------------
  // Screen: create / edit form
  // ---------------------------------------------------------------------------------------
  function groupOf(name) {
    const prefix = name.split('_')[0];
    return I18N.fr[`group.${prefix}`] ? prefix : 'other';
  }

  async function viewForm(route, g, moveFocus) {
    const editing = route.name === 'edit';
    setTitle(t(editing ? 'edit.title' : 'create.title'));
    const crumbs = breadcrumb(editing ? [{ href: `#/endpoints/${enc(route.id)}`, text: route.id }] : []);
    app.replaceChildren(crumbs, h('h1', { text: t(editing ? 'edit.title' : 'create.title') }), spinner());
    let types;
    let ep = null;
    try {
      [types, ep] = await Promise.all([catalog(), editing ? api('GET', `/v1/endpoints/${enc(route.id)}`) : Promise.resolve(null)]);
    } catch (err) {
      return showError(err, g, { what: editing ? 'endpoint' : null, retry: () => render({ keepFocus: true }) });
    }
    if (!alive(g)) return;
    catalogList = types;

    const initial = draft || (ep ? { url: ep.url, description: ep.description || '', types: ep.event_types || [], enabled: ep.enabled, filter: ep.filter || '', headers: ep.headers || {} } : { url: '', description: '', types: [], enabled: true, filter: '', headers: {} });
    draft = null;

    const urlId = nextId('url');
    const descId = nextId('desc');
    const url = h('input', { id: urlId, name: 'url', type: 'url', class: 'input', inputmode: 'url', autocomplete: 'url', spellcheck: 'false', placeholder: 'https://', maxlength: 2048, 'aria-describedby': `${urlId}-hint` });
    url.value = initial.url;
    const desc = h('textarea', { id: descId, name: 'description', class: 'input textarea', rows: 2, maxlength: 500, 'aria-describedby': `${descId}-hint` });
    desc.value = initial.description;

    const counter = h('span', { class: 'types-count', 'aria-live': 'polite' });
    const boxes = [];
    const groups = new Map();
    for (const ty of types) {
      const gk = groupOf(ty.name);
      if (!groups.has(gk)) groups.set(gk, []);
      groups.get(gk).push(ty);
    }
    const known = new Set(types.map((x) => x.name));
    // Types the endpoint has but the catalog no longer lists stay visible (and can be unticked).
    const orphans = initial.types.filter((n) => !known.has(n));
    if (orphans.length) groups.set('other', (groups.get('other') || []).concat(orphans.map((n) => ({ name: n, description: {} }))));
    const typeGroups = [...groups.entries()].map(([gk, list]) => h('div', { class: 'type-group' },
      h('p', { class: 'type-group-title', text: t(`group.${gk}`) }),
      h('div', { class: 'type-grid' }, list.map((ty) => {
        const id = nextId('type');
        const cb = h('input', { type: 'checkbox', id, name: 'event_types', value: ty.name, class: 'checkbox' });
        cb.checked = initial.types.includes(ty.name);
        cb.addEventListener('change', () => {
          updateCount();
          filterPart.refreshFields();
        });
        boxes.push(cb);
        const d = (ty.description && (ty.description[lang] || ty.description.fr)) || '';
        return h('div', { class: 'type-option' },
          h('label', { class: 'type-label', for: id }, cb,
            h('span', { class: 'type-text' }, h('span', { class: 'type-name', text: ty.name }), d ? h('span', { class: 'type-desc', text: d }) : null)),
          ty.schema ? h('button', { type: 'button', class: 'btn btn-link type-contract', 'aria-label': t('contract.open', ty.name), text: t('contract.link'), onclick: () => showContract(ty) }) : null);
      }))));
    function updateCount() {
      counter.textContent = t('f.selected', boxes.filter((b) => b.checked).length);
    }
    updateCount();
    const setAll = (v) => {
      boxes.forEach((b) => {
        b.checked = v;
      });
      updateCount();
    };

    const selectedTypes = () => types.filter((ty) => boxes.some((b) => b.checked && b.value === ty.name));
    const filterPart = filterSection(initial.filter, selectedTypes);
    const headersPart = headersEditor(initial.headers, editing);

    const enabled = h('input', { type: 'checkbox', id: nextId('enabled'), name: 'enabled', class: 'checkbox' });
    enabled.checked = initial.enabled !== false;

    const fieldErr = (id) => h('p', { id: `${id}-err`, class: 'field-error', hidden: true });
    const urlErr = fieldErr(urlId);
    const descErr = fieldErr(descId);
    const typesId = nextId('types');
    const typesErr = fieldErr(typesId);
    const summary = h('div', { class: 'alert alert-error', role: 'alert', tabindex: '-1', hidden: true });

    const typesFieldset = h('fieldset', { class: 'field fieldset', id: typesId, 'aria-describedby': `${typesId}-hint` },
      h('legend', { class: 'label', text: t('f.types') }),
      h('div', { class: 'types-bar' },
        h('p', { id: `${typesId}-hint`, class: 'hint', text: t('f.typesHint') }),
        h('div', { class: 'types-tools' }, counter,
          h('button', { type: 'button', class: 'btn btn-link', text: t('f.all'), onclick: () => setAll(true) }),
          h('button', { type: 'button', class: 'btn btn-link', text: t('f.none'), onclick: () => setAll(false) }))),
      typesErr,
      typeGroups);

    const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save' }, h('span', { class: 'btn-label', text: t('f.save') }));
    const cancelHref = editing ? `#/endpoints/${enc(route.id)}` : '#/endpoints';
    const form = h('form', { class: 'panel form', novalidate: true, 'data-testid': editing ? 'edit-form' : 'create-form' },
      summary,
      h('div', { class: 'field' },
        h('label', { for: urlId, class: 'label', text: t('f.url') }),
        url,
        h('p', { id: `${urlId}-hint`, class: 'hint', text: t('f.urlHint') }),
        urlErr),
      h('div', { class: 'field' },
        h('label', { for: descId, class: 'label' }, t('f.description'), ' ', h('span', { class: 'optional', text: lang === 'fr' ? '(facultative)' : '(optional)' })),
        desc,
        h('p', { id: `${descId}-hint`, class: 'hint', text: t('f.descriptionHint') }),
        descErr),
      typesFieldset,
      filterPart.el,
      headersPart.el,
      editing ? h('div', { class: 'field field-check' },
        h('label', { class: 'switch-label', for: enabled.id }, enabled, h('span', null, h('span', { class: 'label-inline', text: t('f.enabled') }), h('span', { class: 'hint', text: t('f.enabledHint') })))) : null,
      h('div', { class: 'form-actions' },
        submit,
        h('a', { class: 'btn btn-secondary', href: cancelHref, text: t('cancel') })));

    const fields = {
      url: { input: url, err: urlErr, hintId: `${urlId}-hint` },
      description: { input: desc, err: descErr, hintId: `${descId}-hint` },
      event_types: { input: typesFieldset, err: typesErr, hintId: `${typesId}-hint`, focus: () => (boxes[0] ? boxes[0].focus() : null) },
      filter: filterPart.field,
      headers: headersPart.field,
    };

    function clearField(f) {
      f.err.hidden = true;
      f.err.textContent = '';
      f.input.removeAttribute('aria-invalid');
      f.input.setAttribute('aria-describedby', f.hintId);
      f.input.classList.remove('is-invalid');
    }
    function clearErrors() {
      summary.hidden = true;
      summary.replaceChildren();
      Object.values(fields).forEach(clearField);
    }
    // An error goes away as soon as its field is edited.
    url.addEventListener('input', () => clearField(fields.url));
    desc.addEventListener('input', () => clearField(fields.description));
    typesFieldset.addEventListener('change', () => clearField(fields.event_types));
    filterPart.field.input.addEventListener('input', () => clearField(fields.filter));
    headersPart.el.addEventListener('input', () => clearField(fields.headers));

    function showErrors(list, detail, fromServer) {
      // list: [{field, message}] ; fields named like `event_types[1]` belong to `event_types`.
      const byField = new Map();
      const other = [];
      for (const e of list) {
        const base = String(e.field || '').replace(/\[\d+\]$/, '').split('.')[0];
        if (fields[base]) {
          if (!byField.has(base)) byField.set(base, []);
          byField.get(base).push(fromServer ? serverMessage(e.message) : e.message);
        } else other.push(e.field ? `${e.field} : ${serverMessage(e.message)}` : serverMessage(e.message));
      }
      let first = null;
      for (const [name, msgs] of byField) {
        const f = fields[name];
        f.err.textContent = msgs.join(' · ');
        f.err.hidden = false;
        f.input.setAttribute('aria-invalid', 'true');
        f.input.setAttribute('aria-describedby', `${f.hintId} ${f.err.id}`);
        f.input.classList.add('is-invalid');
        if (!first) first = f;
      }
      if (other.length || (!byField.size && detail)) {
        summary.replaceChildren(h('p', { text: other.length ? other.join(' · ') : detail }));
        summary.hidden = false;
        if (!first) {
          summary.focus();
          return;
        }
      }
      if (first) (first.focus ? first.focus() : first.input.focus());
    }

    function validate(v) {
      const errs = [];
      if (!v.url) errs.push({ field: 'url', message: t('err.urlRequired') });
      else {
        let ok = false;
        try {
          const u = new URL(v.url);
          ok = (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname;
        } catch (_) {
          ok = false;
        }
        if (!ok) errs.push({ field: 'url', message: t('err.urlInvalid') });
      }
      if ([...v.description].length > 500) errs.push({ field: 'description', message: t('err.descriptionLong') });
      if (v.types.length === 0) errs.push({ field: 'event_types', message: t('err.typesRequired') });
      return errs;
    }

    const values = () => ({ url: url.value.trim(), description: desc.value.trim(), types: boxes.filter((b) => b.checked).map((b) => b.value), enabled: enabled.checked, filter: filterPart.value(), headers: headersPart.value() });
    captureDraft = values;

    let busy = false;
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (busy) return;
      clearErrors();
      const v = values();
      const errs = validate(v);
      if (errs.length) return showErrors(errs);
      busy = true;
      submit.disabled = true;
      submit.querySelector('.btn-label').textContent = t('f.saving');
      form.setAttribute('aria-busy', 'true');
      try {
        if (editing) {
          await api('PATCH', `/v1/endpoints/${enc(route.id)}`, { url: v.url, description: v.description, event_types: v.types, enabled: v.enabled, filter: v.filter || null, headers: v.headers });
          if (!alive(g)) return;
          toast(t('toast.saved'));
          // Came from the detail page: go back to it rather than stacking a second entry.
          if (previousRouteKey === `detail:${route.id}`) history.back();
          else go(`#/endpoints/${enc(route.id)}`, true);
        } else {
          const created = await api('POST', '/v1/endpoints', { url: v.url, description: v.description, event_types: v.types, enabled: true, filter: v.filter || null, headers: v.headers });
          if (!alive(g)) return;
          secretHolder = { id: created.id, secret: created.secret, url: created.url, kind: 'created' };
          // Replace the form in history: "back" from the secret goes to the list, not to a stale form.
          go(`#/endpoints/${enc(created.id)}/secret`, true);
        }
      } catch (err) {
        if (isHandled(err) || !alive(g)) return;
        busy = false;
        submit.disabled = false;
        submit.querySelector('.btn-label').textContent = t('f.save');
        form.removeAttribute('aria-busy');
        if (err.status === 404 && editing) return showError(err, g, { what: 'endpoint' });
        showErrors(err.errors, errorText(err), true);
      }
    });

    app.replaceChildren(crumbs,
      h('div', { class: 'page-head' }, h('div', null,
        h('h1', { text: t(editing ? 'edit.title' : 'create.title') }),
        h('p', { class: 'muted page-intro', text: editing ? ep.url : t('create.intro') }))),
      h('div', { class: 'form-layout' }, form,
        editing ? null : h('aside', { class: 'help', 'aria-labelledby': 'help-title' },
          h('h2', { id: 'help-title', class: 'help-title', text: t('help.title') }),
          h('ul', { class: 'help-list' }, ['help.secret', 'help.signed', 'help.retries', 'help.test'].map((k) => h('li', { text: t(k) }))))));
    if (moveFocus && !editing) {
      window.scrollTo(0, 0);
      url.focus();
    } else focusHeading(moveFocus);
  }

  /** Where a filter's condition reads a field of the event: `event_data.name`, or
   *  `event_data["odd name"]` for a name CEL cannot spell. */
  const fieldRef = (name) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `event_data.${name}` : `event_data[${JSON.stringify(name)}]`);

  /** One CEL condition from the builder's choices; numbers compare as numbers (`double`
   *  also reads decimal strings), anything else as text. */
  function celCondition(field, op, raw, sample) {
    const ref = fieldRef(field);
    if (op === 'has') return `has(${ref})`;
    const numeric = typeof sample === 'number';
    const lit = (x) => {
      const v = x.trim();
      const n = Number(v);
      if (!numeric || v === '' || Number.isNaN(n)) return JSON.stringify(v);
      return Number.isInteger(n) ? `${n}.0` : String(n);
    };
    const lhs = numeric ? `double(${ref})` : ref;
    if (op === 'in') return `${ref} in [${raw.split(',').map((x) => (numeric ? lit(x) : JSON.stringify(x.trim()))).join(', ')}]`;
    if (op === 'contains') return `${ref}.contains(${JSON.stringify(raw.trim())})`;
    const sym = { eq: '==', ne: '!=', ge: '>=', le: '<=' }[op];
    return `${lhs} ${sym} ${lit(raw)}`;
  }

  const FILTER_OPS = ['eq', 'ne', 'in', 'ge', 'le', 'contains', 'has'];

  /** The form's filter: the CEL text, a builder for the common case (fields of the selected
   *  types' examples) and a test of each selected type's example against the fan-out's
   *  evaluator. */
  function filterSection(initial, selectedTypes) {
    const id = nextId('filter');
    const text = h('textarea', { id, name: 'filter', class: 'input textarea input-mono', rows: 2, maxlength: 1000, spellcheck: 'false', 'aria-describedby': `${id}-hint` });
    text.value = initial || '';
    const err = h('p', { id: `${id}-err`, class: 'field-error', hidden: true });
    const fieldSel = h('select', { class: 'input', 'aria-label': t('filter.field'), 'data-testid': 'filter-field' });
    const opSel = h('select', { class: 'input', 'aria-label': t('filter.op'), 'data-testid': 'filter-op' }, FILTER_OPS.map((o) => h('option', { value: o, text: t(`filter.op.${o}`) })));
    const valueIn = h('input', { class: 'input', 'aria-label': t('filter.value'), placeholder: t('filter.valueHint'), 'data-testid': 'filter-value' });
    const results = h('ul', { class: 'filter-results', 'aria-live': 'polite', 'data-testid': 'filter-results' });
    let samples = {};
    function refreshFields() {
      samples = {};
      for (const ty of selectedTypes()) Object.entries(ty.example || {}).forEach(([k, v]) => { if (!(k in samples)) samples[k] = v; });
      const keep = fieldSel.value;
      fieldSel.replaceChildren(...Object.keys(samples).sort().map((k) => h('option', { value: k, text: k })));
      if (keep in samples) fieldSel.value = keep;
    }
    refreshFields();
    const add = h('button', { type: 'button', class: 'btn btn-secondary', text: t('filter.add'), onclick: () => {
      if (!fieldSel.value) return;
      const cond = celCondition(fieldSel.value, opSel.value, valueIn.value, samples[fieldSel.value]);
      text.value = text.value.trim() ? `${text.value.trim()} && ${cond}` : cond;
      text.dispatchEvent(new Event('input', { bubbles: true }));
    } });
    const test = h('button', { type: 'button', class: 'btn btn-secondary', text: t('filter.test'), onclick: async () => {
      const chosen = selectedTypes();
      if (!chosen.length) return results.replaceChildren(h('li', { text: t('filter.noTypes') }));
      const f = text.value.trim();
      results.replaceChildren(spinner());
      try {
        const lines = await Promise.all(chosen.map(async (ty) => {
          if (!f) return h('li', { class: 'filter-sent', text: t('filter.sent', ty.name) });
          const r = await api('POST', '/v1/filters/evaluate', { filter: f, event_type: ty.name, event_data: ty.example || {} });
          if (r.error) return h('li', { class: 'filter-error', text: t('filter.error', ty.name, r.error) });
          return h('li', { class: r.matched ? 'filter-sent' : 'filter-not-sent', text: t(r.matched ? 'filter.sent' : 'filter.notSent', ty.name) });
        }));
        results.replaceChildren(...lines);
      } catch (e) {
        if (isHandled(e)) return;
        results.replaceChildren();
        const m = (e.errors || []).find((x) => x.field === 'filter');
        err.textContent = m ? serverMessage(m.message) : errorText(e);
        err.hidden = false;
        text.setAttribute('aria-invalid', 'true');
      }
    } });
    const el = h('fieldset', { class: 'field fieldset filter-section', 'data-testid': 'filter-section' },
      h('legend', { class: 'label' }, t('f.filter'), ' ', h('span', { class: 'optional', text: lang === 'fr' ? '(facultatif)' : '(optional)' })),
      h('p', { id: `${id}-hint`, class: 'hint', text: t('f.filterHint') }),
      h('div', { class: 'filter-builder' }, fieldSel, opSel, valueIn, add),
      h('label', { for: id, class: 'visually-hidden', text: t('f.filter') }), text, err,
      h('div', { class: 'filter-actions' }, test), results);
    return { el, value: () => text.value.trim(), refreshFields, field: { input: text, err, hintId: `${id}-hint` } };
  }

  /** The form's custom headers: names and values; a saved value is never shown again, and
   *  left empty it stays as it is. */
  function headersEditor(initial, editing) {
    const id = nextId('headers');
    const rows = h('div', { class: 'header-rows' });
    const err = h('p', { id: `${id}-err`, class: 'field-error', hidden: true });
    const entries = [];
    function addRow(name, kept) {
      const n = h('input', { class: 'input input-mono', 'aria-label': t('headers.name'), placeholder: 'x-api-key', maxlength: 64, spellcheck: 'false', value: name || '' });
      const v = h('input', { class: 'input input-mono', type: 'password', autocomplete: 'off', 'aria-label': t('headers.value'), maxlength: 1024, placeholder: kept !== undefined ? t('headers.kept') : '' });
      const entry = { n, v, kept };
      const row = h('div', { class: 'header-row' }, n, v,
        h('button', { type: 'button', class: 'btn btn-danger-ghost btn-small', 'aria-label': t('headers.remove'), text: '×', onclick: () => {
          entries.splice(entries.indexOf(entry), 1);
          row.remove();
          rows.dispatchEvent(new Event('input', { bubbles: true }));
        } }));
      entries.push(entry);
      rows.append(row);
      return n;
    }
    for (const [k, v] of Object.entries(initial || {})) addRow(k, editing ? v : undefined);
    const add = h('button', { type: 'button', class: 'btn btn-link', text: `+ ${t('headers.add')}`, onclick: () => addRow('').focus() });
    const el = h('fieldset', { class: 'field fieldset', id, 'data-testid': 'headers-editor', 'aria-describedby': `${id}-hint` },
      h('legend', { class: 'label' }, t('f.headers'), ' ', h('span', { class: 'optional', text: lang === 'fr' ? '(facultatifs)' : '(optional)' })),
      h('p', { id: `${id}-hint`, class: 'hint', text: t('f.headersHint') }), err, rows, add);
    const value = () => Object.fromEntries(entries
      .map((e) => [e.n.value.trim(), e.v.value || e.kept || ''])
      .filter(([k]) => k));
    return { el, value, field: { input: el, err, hintId: `${id}-hint` } };
  }

  function breadcrumb(extra) {
    return h('nav', { class: 'breadcrumb', 'aria-label': lang === 'fr' ? 'Fil d’Ariane' : 'Breadcrumb' },
      h('ol', null,
        h('li', null, h('a', { href: '#/endpoints', text: t('detail.back') })),
        extra.map((x) => h('li', null, x.href ? h('a', { href: x.href, text: x.text }) : h('span', { text: x.text })))));
  }

  // ---------------------------------------------------------------------------------------
  // Screen: secret shown once
  // ---------------------------------------------------------------------------------------
  function viewSecret(route, g, moveFocus) {
    const held = secretHolder && secretHolder.id === route.id ? secretHolder : null;
    if (!held) {
      setTitle(t('secret.goneTitle'));
      app.replaceChildren(breadcrumb([{ href: `#/endpoints/${enc(route.id)}`, text: route.id }]),
        h('section', { class: 'panel state' },
          h('h1', { class: 'state-title', text: t('secret.goneTitle') }),
          h('p', { class: 'state-text', text: t('secret.gone') }),
          h('div', { class: 'state-actions' },
            h('a', { class: 'btn btn-primary', href: `#/endpoints/${enc(route.id)}`, text: t('secret.toDetail') }),
            h('a', { class: 'btn btn-secondary', href: '#/endpoints', text: t('secret.toList') }))));
      focusHeading(moveFocus);
      return;
    }
    const title = t(held.kind === 'rotated' ? 'secret.rotatedTitle' : 'secret.createdTitle');
    setTitle(title);
    const inputId = nextId('secret');
    const field = h('input', { id: inputId, class: 'input input-mono secret-value', readonly: true, spellcheck: 'false', autocomplete: 'off', 'data-testid': 'secret' });
    field.value = held.secret;
    field.addEventListener('focus', () => field.select());
    const copyBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'copy-secret', onclick: () => copyText(held.secret, copyBtn) }, icon('copy'), h('span', { class: 'btn-label', text: t('copy') }));
    app.replaceChildren(
      breadcrumb([{ href: `#/endpoints/${enc(route.id)}`, text: held.url }]),
      h('section', { class: 'panel secret-panel', 'data-testid': 'secret-screen' },
        h('div', { class: 'secret-head' },
          h('span', { class: 'secret-check', 'aria-hidden': 'true' }, s('svg', { viewBox: '0 0 24 24', class: 'icon' }, s('path', { d: 'M5 12.5l4.5 4.5L19 7.5' }))),
          h('div', null, h('h1', { text: title }), h('p', { class: 'muted mono-break', text: held.url }))),
        h('div', { class: 'alert alert-warning', role: 'note' },
          icon('warn'),
          h('div', null, h('strong', { text: t('secret.warningTitle') }), h('p', { text: t('secret.warning') }),
            held.kind === 'rotated' ? h('p', { text: t('secret.grace') }) : null)),
        h('div', { class: 'field' },
          h('label', { for: inputId, class: 'label', text: t('secret.label') }),
          h('div', { class: 'secret-row' }, field, copyBtn)),
        h('div', { class: 'form-actions' },
          h('a', { class: 'btn btn-secondary', href: '#/endpoints', 'data-testid': 'back-to-list', text: t('secret.toList') }),
          h('a', { class: 'btn btn-secondary', href: `#/endpoints/${enc(route.id)}`, text: t('secret.toDetail') }))));
    focusHeading(moveFocus);
  }

  // ---------------------------------------------------------------------------------------
  // Screen: endpoint detail (configuration, counters, chart, delivery log)
  // ---------------------------------------------------------------------------------------
  async function viewDetail(route, g, moveFocus) {
    setTitle(route.id);
    app.replaceChildren(breadcrumb([{ text: route.id }]), spinner());
    let ep;
    let stats;
    try {
      [ep, stats] = await Promise.all([
        api('GET', `/v1/endpoints/${enc(route.id)}`),
        api('GET', `/v1/endpoints/${enc(route.id)}/stats?hours=24`).then((r) => r.data || []).catch((e) => e),
        catalog().then((c) => {
          catalogList = c;
        }).catch(() => {}),
      ]);
    } catch (err) {
      return showError(err, g, { what: 'endpoint', retry: () => render({ keepFocus: true }) });
    }
    if (!alive(g)) return;
    setTitle(ep.url);
    const id = ep.id;
    const base = `/v1/endpoints/${enc(id)}`;

    // --- header and actions
    const statusSlot = h('span', { class: 'status-slot' });
    const toggleBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'toggle-enabled' });
    const disabledNote = h('div', { class: 'alert alert-info', hidden: true, 'data-testid': 'disabled-note' });
    const failingNote = h('div', { class: 'alert alert-warning', hidden: true, 'data-testid': 'failing-note' });
    const testBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'send-test' }, icon('send'), h('span', { class: 'btn-label', text: t('detail.test') }));
    const rotateBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'rotate' }, icon('key'), h('span', { text: t('detail.rotate') }));
    const deleteBtn = h('button', { type: 'button', class: 'btn btn-danger-ghost', 'data-testid': 'delete' }, icon('trash'), h('span', { text: t('detail.delete') }));
    const descEl = h('p', { class: 'muted page-intro' });

    // The failing note names the last error: that of the newest message's last attempt.
    const lastErrorEl = h('p', { class: 'note-reason', 'data-testid': 'last-error' });
    async function showLastError() {
      try {
        const page = await api('GET', `${base}/messages?limit=1`);
        const m = (page.data || [])[0];
        if (!m || m.status === 'delivered' || !m.attempt_count) return;
        const atts = (await api('GET', `${base}/messages/${enc(m.message_id)}/attempts`)).data || [];
        const a = atts[atts.length - 1];
        if (!a || !alive(g)) return;
        lastErrorEl.textContent = `${failText(a.status_code, a.error)}. ${explainFailure(a.status_code, a.error) || ''}`;
      } catch (_) {
        /* the note stands without it */
      }
    }

    // --- configuration
    const dl = h('dl', { class: 'dl' });
    function renderConfig() {
      statusSlot.replaceChildren(enabledBadge(ep.enabled));
      toggleBtn.replaceChildren(icon('power'), h('span', { text: t(ep.enabled ? 'detail.disable' : 'detail.enable') }));
      disabledNote.hidden = ep.enabled;
      disabledNote.replaceChildren(icon('power'), h('div', null, h('p', { text: t('detail.disabledNote') }), ep.disabled_reason ? h('p', { class: 'note-reason', text: ep.disabled_reason }) : null));
      failingNote.hidden = !(ep.enabled && ep.failing_since);
      failingNote.replaceChildren(...(ep.failing_since ? [icon('warn'), h('div', null,
        h('p', { text: t('detail.failingSince', fmtDate(ep.failing_since)) }),
        lastErrorEl,
        ep.disable_at ? h('p', { class: 'note-reason', 'data-testid': 'disable-in', text: t('detail.disableIn', fmtIn(ep.disable_at)), title: fmtDate(ep.disable_at) }) : null)] : []));
      if (ep.enabled && ep.failing_since && !lastErrorEl.textContent) showLastError();
      descEl.textContent = ep.description || t('noDescription');
      descEl.classList.toggle('muted-i', !ep.description);
      const row = (k, v) => [h('dt', { text: t(k) }), h('dd', null, v)];
      dl.replaceChildren(
        ...row('detail.url', h('span', { class: 'mono-break', text: ep.url })),
        ...row('detail.id', h('code', { class: 'code-inline', text: ep.id })),
        ...row('detail.types', chips(ep.event_types || [])),
        // Names only: values are often the receiver's credentials.
        ...(Object.keys(ep.headers || {}).length ? row('detail.headers', chips(Object.keys(ep.headers))) : []),
        ...row('detail.status', enabledBadge(ep.enabled)),
        ...row('detail.created', fmtDate(ep.created_at)),
        ...row('detail.updated', fmtDate(ep.updated_at)));
    }

    // --- counters
    const counterEls = {};
    const counterDefs = [['delivered', 'col.delivered', 'ok'], ['failed_attempts', 'col.failedAttempts', 'warn'], ['failed_messages', 'col.failedMessages', 'ko'], ['in_flight', 'col.inFlight', 'info']];
    const countersBox = h('div', { class: 'counters', role: 'group', 'aria-label': t('detail.counters') }, counterDefs.map(([k, label, tone]) => {
      counterEls[k] = h('span', { class: 'counter-value', 'data-counter': k });
      return h('div', { class: `counter counter-${tone}` }, counterEls[k], h('span', { class: 'counter-label', text: t(label) }));
    }));
    function renderCounters() {
      for (const [k] of counterDefs) {
        const v = (ep.counters || {})[k] || 0;
        counterEls[k].textContent = fmtInt(v);
        counterEls[k].parentElement.classList.toggle('is-zero', !v);
      }
    }

    // --- chart
    const chartBox = h('div', { class: 'chart', 'data-testid': 'chart' });
    const chartLegend = h('div', { class: 'chart-legend' });
    let lastStats = stats;
    function renderChart() {
      if (lastStats instanceof Error) {
        chartBox.replaceChildren(h('p', { class: 'alert alert-error', text: errorText(lastStats) }));
        chartLegend.replaceChildren();
        return;
      }
      const w = Math.max(260, Math.floor(chartBox.clientWidth || 600));
      chartBox.replaceChildren(buildChart(lastStats, w));
      const ok = lastStats.reduce((a, b) => a + (b.delivered || 0), 0);
      const ko = lastStats.reduce((a, b) => a + (b.failed || 0), 0);
      chartLegend.replaceChildren(
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-ok', 'aria-hidden': 'true' }), `${t('chart.ok')} `, h('strong', { text: fmtInt(ok) })),
        h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-ko', 'aria-hidden': 'true' }), `${t('chart.ko')} `, h('strong', { text: fmtInt(ko) })));
    }

    // --- delivery log
    const log = { filter: '', items: new Map(), cursor: null, expanded: new Set(), loadedOnce: false };
    const filterId = nextId('filter');
    const filter = h('select', { id: filterId, class: 'input select', 'data-testid': 'status-filter' },
      h('option', { value: '', text: t('log.all') }),
      ['pending', 'delivered', 'failed'].map((st) => h('option', { value: st, text: t(`msg.${st}`) })));
    const refreshBtn = h('button', { type: 'button', class: 'btn btn-secondary', 'data-testid': 'refresh' }, icon('refresh'), h('span', { text: t('log.refresh') }));
    const liveDot = h('span', { class: 'live', hidden: true }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), t('log.live'));
    const list = h('ul', { class: 'log', 'data-testid': 'log' });
    const logState = h('div', { class: 'log-state' });
    const moreBtn = h('button', { type: 'button', class: 'btn btn-secondary', hidden: true, 'data-testid': 'load-more', text: t('log.more') });
    const logError = h('p', { class: 'alert alert-error', role: 'alert', hidden: true });

    // recover
    const recoverId = nextId('since');
    const since = h('input', { id: recoverId, type: 'datetime-local', class: 'input', step: 1, 'data-testid': 'recover-since' });
    since.value = toLocalInput(new Date(Date.now() - 24 * 3600 * 1000));
    const recoverBtn = h('button', { type: 'submit', class: 'btn btn-secondary', 'data-testid': 'recover' }, icon('replay'), h('span', { text: t('recover.submit') }));
    const recoverMsg = h('p', { class: 'hint', 'aria-live': 'polite' });
    const recoverForm = h('form', { class: 'recover-form', novalidate: true },
      h('label', { for: recoverId, class: 'label', text: t('recover.label') }),
      h('div', { class: 'recover-row' }, since, recoverBtn),
      recoverMsg);
    const recover = h('details', { class: 'recover' }, h('summary', { text: t('recover.summary') }), recoverForm);

    const page = h('div', { class: 'detail' },
      breadcrumb([{ text: ep.url }]),
      h('div', { class: 'page-head detail-head' },
        h('div', { class: 'detail-title' },
          h('div', { class: 'title-row' }, h('h1', { class: 'mono-break', text: ep.url }), statusSlot),
          descEl),
        h('div', { class: 'page-actions' },
          testBtn,
          h('a', { class: 'btn btn-secondary', href: `#/endpoints/${enc(id)}/edit`, 'data-testid': 'edit' }, icon('edit'), h('span', { text: t('detail.edit') })),
          toggleBtn, rotateBtn, deleteBtn)),
      disabledNote,
      failingNote,
      countersBox,
      h('div', { class: 'detail-grid' },
        h('section', { class: 'panel', 'aria-labelledby': 'cfg-title' },
          h('h2', { id: 'cfg-title', class: 'panel-title', text: t('detail.config') }), dl),
        h('section', { class: 'panel', 'aria-labelledby': 'chart-title' },
          h('h2', { id: 'chart-title', class: 'panel-title', text: t('chart.title') }), chartBox, chartLegend)),
      h('section', { class: 'panel log-panel', 'aria-labelledby': 'log-title' },
        h('div', { class: 'log-head' },
          h('h2', { id: 'log-title', class: 'panel-title', text: t('log.title') }),
          h('div', { class: 'log-tools' },
            liveDot,
            h('span', { class: 'filter-group' }, h('label', { for: filterId, class: 'label-inline', text: t('log.filter') }), filter),
            refreshBtn)),
        recover,
        logError,
        list,
        logState,
        h('div', { class: 'log-more' }, moreBtn)));

    renderConfig();
    renderCounters();
    app.replaceChildren(page);
    renderChart();
    focusHeading(moveFocus);

    // Re-draw the chart at the container's width (SVG text stays readable on phones).
    if (typeof ResizeObserver === 'function') {
      let lastW = chartBox.clientWidth;
      let raf = 0;
      const ro = new ResizeObserver(() => {
        const w = chartBox.clientWidth;
        if (Math.abs(w - lastW) < 8) return;
        lastW = w;
        cancelAnimationFrame(raf);
        raf = requestAnimationFrame(renderChart);
      });
      ro.observe(chartBox);
      cleanup.push(() => ro.disconnect());
    }

    // ---- log rows
    function rowFor(m) {
      const mid = m.message_id;
      const panelId = nextId('attempts');
      const toggle = h('button', { type: 'button', class: 'log-toggle', 'aria-expanded': 'false', 'aria-controls': panelId, 'data-testid': 'toggle-attempts' },
        h('span', { class: 'chev', 'aria-hidden': 'true' }, icon('chevron')),
        h('span', { class: 'log-main' },
          h('span', { class: 'log-type', 'data-role': 'type' }),
          h('span', { class: 'log-date', 'data-role': 'date' })));
      const statusCell = h('span', { class: 'log-status', 'data-role': 'status' });
      const countCell = h('span', { class: 'log-count', 'data-role': 'count' });
      const payloadBtn = h('button', { type: 'button', class: 'btn btn-small btn-secondary', 'data-testid': 'view-payload' }, icon('code'), h('span', { text: t('log.payload') }));
      const replayBtn = h('button', { type: 'button', class: 'btn btn-small btn-warning', 'data-testid': 'replay', hidden: true }, icon('replay'), h('span', { text: t('log.replay') }));
      const panel = h('div', { id: panelId, class: 'attempts', hidden: true });
      const li = h('li', { class: 'log-item', 'data-message-id': mid },
        h('div', { class: 'log-row' }, toggle, h('span', { class: 'log-meta' }, statusCell, countCell), h('span', { class: 'log-actions' }, payloadBtn, replayBtn)),
        panel);
      const row = { li, toggle, statusCell, countCell, payloadBtn, replayBtn, panel, data: null, attemptsKey: null };
      toggle.addEventListener('click', () => {
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        li.classList.toggle('is-open', open);
        panel.hidden = !open;
        if (open) {
          log.expanded.add(mid);
          loadAttempts(row, true);
        } else log.expanded.delete(mid);
      });
      payloadBtn.addEventListener('click', () => showPayload(row.data));
      replayBtn.addEventListener('click', () => replay(row));
      updateRow(row, m);
      return row;
    }

    function updateRow(row, m) {
      const prev = row.data;
      row.data = m;
      row.li.dataset.status = m.status;
      row.toggle.querySelector('[data-role=type]').textContent = m.event_type;
      const date = fmtDate(m.created_at);
      row.toggle.querySelector('[data-role=date]').textContent = date;
      row.toggle.setAttribute('aria-label', t('log.details', m.event_type, date));
      row.statusCell.replaceChildren(badge(m.status));
      row.countCell.replaceChildren(t('log.attempts', m.attempt_count || 0), ...(m.series_start ? [' ', h('span', { class: 'tag', text: t('log.replayedTag') })] : []));
      row.payloadBtn.setAttribute('aria-label', t('log.payloadOf', m.event_type));
      row.replayBtn.setAttribute('aria-label', t('log.replayOf', m.event_type));
      const wasHidden = row.replayBtn.hidden;
      row.replayBtn.hidden = m.status !== 'failed';
      if (!wasHidden && row.replayBtn.hidden && document.activeElement === row.replayBtn) row.toggle.focus();
      if (log.expanded.has(m.message_id) && prev && (prev.status !== m.status || prev.attempt_count !== m.attempt_count || prev.next_attempt_at !== m.next_attempt_at)) {
        loadAttempts(row, false);
      }
    }

    async function loadAttempts(row, showSpinner) {
      const m = row.data;
      if (showSpinner && !row.panel.firstChild) row.panel.replaceChildren(spinner());
      let attempts;
      try {
        attempts = (await api('GET', `${base}/messages/${enc(m.message_id)}/attempts`)).data || [];
      } catch (err) {
        if (isHandled(err) || !alive(g)) return;
        row.panel.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert', text: errorText(err) }));
        return;
      }
      if (!alive(g)) return;
      const cur = row.data;
      const meta = h('p', { class: 'attempts-meta' },
        h('span', null, `${t('log.messageId')} `, h('code', { class: 'code-inline', text: cur.message_id })),
        cur.status === 'pending' && cur.next_attempt_at
          ? h('span', { text: t('log.next', fmtIn(cur.next_attempt_at)), title: fmtDate(cur.next_attempt_at) })
          : null);
      if (!attempts.length) {
        row.panel.replaceChildren(meta, h('p', { class: 'muted', text: t('att.none') }));
        return;
      }
      const tr = (a) => {
        const ok = a.status_code != null && a.status_code >= 200 && a.status_code < 300;
        const result = h('span', { class: 'att-result' },
          a.status_code != null ? h('span', { class: `http ${ok ? 'http-ok' : 'http-ko'}`, text: `HTTP ${a.status_code}` }) : null,
          a.error && !(a.error === 'http_status' && a.status_code != null) ? h('span', { class: 'att-error', title: a.error, text: failureText(a.error) }) : null);
        const why = !ok && a.number === attempts[attempts.length - 1].number ? explainFailure(a.status_code, a.error) : null;
        return h('tr', { 'data-attempt': a.number },
          h('td', { class: 'num', 'data-label': t('att.number'), text: String(a.number) }),
          h('td', { 'data-label': t('att.date'), text: fmtDate(a.started_at) }),
          h('td', { 'data-label': t('att.result') }, result, why ? h('p', { class: 'att-why', 'data-testid': 'failure-explained', text: why }) : null),
          h('td', { class: 'num', 'data-label': t('att.duration'), text: fmtDuration(a.duration_ms) }),
          h('td', { class: 'cell-excerpt', 'data-label': t('att.response') }, a.response_excerpt ? h('code', { class: 'excerpt', text: a.response_excerpt }) : h('span', { class: 'muted', text: '—' })));
      };
      const th = (k, cls) => h('th', { scope: 'col', class: cls || null, text: t(k) });
      row.panel.replaceChildren(meta,
        h('div', { class: 'table-scroll' },
          h('table', { class: 'table table-compact attempts-table' },
            h('caption', { class: 'visually-hidden', text: t('att.caption') }),
            h('thead', null, h('tr', null, th('att.number', 'num'), th('att.date'), th('att.result'), th('att.duration', 'num'), th('att.response'))),
            h('tbody', null, attempts.map((a) => (cur.series_start && a.number === cur.series_start + 1
              ? [h('tr', { class: 'series-sep' }, h('td', { colspan: 5 }, icon('replay'), h('span', { text: t('att.series') }))), tr(a)]
              : tr(a)))))));
    }

    function renderLogState() {
      const empty = log.items.size === 0;
      logState.replaceChildren(...(empty && log.loadedOnce ? [h('p', { class: 'log-empty', text: t(log.filter ? 'log.emptyFiltered' : 'log.empty') })] : []));
      moreBtn.hidden = !log.cursor;
      const hasPending = [...log.items.values()].some((r) => r.data.status === 'pending') || ((ep.counters || {}).in_flight || 0) > 0;
      liveDot.hidden = !hasPending;
      return hasPending;
    }

    function logQuery(cursor, limit) {
      const q = new URLSearchParams();
      if (log.filter) q.set('status', log.filter);
      if (cursor) q.set('cursor', cursor);
      q.set('limit', String(limit || PAGE_SIZE));
      return `${base}/messages?${q}`;
    }

    // Fresh first page (filter changed or first load).
    async function loadFirstPage() {
      const myFilter = log.filter;
      logState.replaceChildren(spinner());
      list.setAttribute('aria-busy', 'true');
      let page1;
      try {
        page1 = await api('GET', logQuery(null));
      } catch (err) {
        if (isHandled(err) || !alive(g)) return;
        list.removeAttribute('aria-busy');
        logState.replaceChildren();
        logError.textContent = errorText(err);
        logError.hidden = false;
        return;
      }
      if (!alive(g) || myFilter !== log.filter) return;
      logError.hidden = true;
      list.removeAttribute('aria-busy');
      log.items.clear();
      log.expanded.clear();
      list.replaceChildren();
      for (const m of page1.data || []) {
        const r = rowFor(m);
        log.items.set(m.message_id, r);
        list.append(r.li);
      }
      log.cursor = page1.next_cursor || null;
      log.loadedOnce = true;
      renderLogState();
      // Opened from a search or the failures list: that message expanded.
      const wanted = route.msg && log.items.get(route.msg);
      if (wanted && !log.expanded.has(route.msg)) {
        wanted.toggle.click();
        wanted.li.scrollIntoView({ block: 'center' });
      }
    }

    async function loadMore() {
      if (!log.cursor) return;
      moreBtn.disabled = true;
      const myFilter = log.filter;
      let page;
      try {
        page = await api('GET', logQuery(log.cursor));
      } catch (err) {
        moreBtn.disabled = false;
        if (isHandled(err) || !alive(g)) return;
        toast(errorText(err), 'error');
        return;
      }
      moreBtn.disabled = false;
      if (!alive(g) || myFilter !== log.filter) return;
      let firstNew = null;
      for (const m of page.data || []) {
        if (log.items.has(m.message_id)) {
          updateRow(log.items.get(m.message_id), m);
          continue;
        }
        const r = rowFor(m);
        log.items.set(m.message_id, r);
        list.append(r.li);
        if (!firstNew) firstNew = r;
      }
      log.cursor = page.next_cursor || null;
      renderLogState();
      // Keep keyboard users in place: focus the first newly loaded message.
      if (firstNew && (document.activeElement === moreBtn || moreBtn.hidden)) firstNew.toggle.focus();
    }

    // Periodic refresh: re-reads the loaded range, updates rows in place (no focus loss),
    // adds new messages at the top.
    async function refresh() {
      const myFilter = log.filter;
      const loaded = log.items.size;
      const limit = Math.min(100, Math.max(PAGE_SIZE, loaded));
      let page;
      let fresh;
      let st;
      try {
        [page, fresh, st] = await Promise.all([
          api('GET', logQuery(null, limit)),
          api('GET', base),
          api('GET', `${base}/stats?hours=24`).then((r) => r.data || []).catch((e) => e),
        ]);
      } catch (err) {
        if (isHandled(err) || !alive(g)) return;
        if (err.status === 404) return showError(err, g, { what: 'endpoint' });
        logError.textContent = errorText(err);
        logError.hidden = false;
        return;
      }
      if (!alive(g) || myFilter !== log.filter) return;
      logError.hidden = true;
      ep = fresh;
      renderConfig();
      renderCounters();
      lastStats = st;
      renderChart();
      // Update rows in place and insert new ones at their position (existing nodes never
      // move, so keyboard focus stays where it is).
      const data = page.data || [];
      const seen = new Set(data.map((m) => m.message_id));
      let prevLi = null;
      for (const m of data) {
        const r = log.items.get(m.message_id);
        if (r) {
          updateRow(r, m);
          prevLi = r.li;
        } else {
          const nr = rowFor(m);
          log.items.set(m.message_id, nr);
          list.insertBefore(nr.li, prevLi ? prevLi.nextSibling : list.firstChild);
          prevLi = nr.li;
        }
      }
      // Rows that left the filter (e.g. a failed message replayed under "failed") go away,
      // but only inside the range just re-read.
      const lastId = page.next_cursor && data.length ? data[data.length - 1].message_id : null;
      for (const li of [...list.children]) {
        const mid = li.dataset.messageId;
        if (!seen.has(mid)) {
          if (li.contains(document.activeElement)) refreshBtn.focus();
          li.remove();
          log.items.delete(mid);
          log.expanded.delete(mid);
        }
        if (mid === lastId) break;
      }
      if (loaded <= 100) log.cursor = page.next_cursor || null;
      renderLogState();
    }

    // Polling: every 2 s while something is in flight or just after an action, every 5 s
    // otherwise; paused while the tab is hidden.
    let timer = 0;
    let stopped = false;
    let fastUntil = 0;
    function schedule(fast) {
      clearTimeout(timer);
      if (stopped) return;
      timer = setTimeout(tick, fast || Date.now() < fastUntil ? 2000 : 5000);
    }
    async function tick() {
      if (stopped || !alive(g)) return;
      if (document.hidden) return schedule(false);
      await refresh();
      if (alive(g)) schedule(renderLogState());
    }
    cleanup.push(() => {
      stopped = true;
      clearTimeout(timer);
    });
    const onVisible = () => {
      if (!document.hidden) schedule(true);
    };
    document.addEventListener('visibilitychange', onVisible);
    cleanup.push(() => document.removeEventListener('visibilitychange', onVisible));

    const kick = async () => {
      clearTimeout(timer);
      fastUntil = Date.now() + 10000;
      await refresh();
      if (alive(g)) schedule(true);
    };

    filter.addEventListener('change', async () => {
      log.filter = filter.value;
      await loadFirstPage();
      if (alive(g)) schedule(renderLogState());
    });
    refreshBtn.addEventListener('click', async () => {
      refreshBtn.disabled = true;
      await kick();
      refreshBtn.disabled = false;
    });
    moreBtn.addEventListener('click', loadMore);

    // ---- actions
    async function replay(row) {
      const m = row.data;
      row.replayBtn.disabled = true;
      try {
        await api('POST', `${base}/messages/${enc(m.message_id)}/replay`);
      } catch (err) {
        row.replayBtn.disabled = false;
        if (isHandled(err) || !alive(g)) return;
        toast(errorText(err), 'error');
        return;
      }
      row.replayBtn.disabled = false;
      if (!alive(g)) return;
      // Show the new state at once; the refresh confirms it.
      updateRow(row, { ...m, status: 'pending' });
      toast(t('toast.replayed'));
      kick();
    }

    testBtn.addEventListener('click', async () => {
      testBtn.disabled = true;
      try {
        await api('POST', `${base}/test`);
      } catch (err) {
        testBtn.disabled = false;
        if (isHandled(err) || !alive(g)) return;
        toast(errorText(err), 'error');
        return;
      }
      testBtn.disabled = false;
      if (!alive(g)) return;
      toast(t('toast.testSent'));
      kick();
    });

    toggleBtn.addEventListener('click', async () => {
      toggleBtn.disabled = true;
      try {
        ep = await api('PATCH', base, { enabled: !ep.enabled });
      } catch (err) {
        toggleBtn.disabled = false;
        if (isHandled(err) || !alive(g)) return;
        toast(errorText(err), 'error');
        return;
      }
      toggleBtn.disabled = false;
      if (!alive(g)) return;
      renderConfig();
      renderCounters();
      toast(t(ep.enabled ? 'toast.enabled' : 'toast.disabled'));
    });

    rotateBtn.addEventListener('click', async () => {
      const yes = await confirmDialog({ title: t('confirm.rotateTitle'), body: t('confirm.rotateBody'), confirmLabel: t('confirm.rotate') });
      if (!yes || !alive(g)) return;
      rotateBtn.disabled = true;
      let res;
      try {
        res = await api('POST', `${base}/rotate-secret`);
      } catch (err) {
        rotateBtn.disabled = false;
        if (isHandled(err) || !alive(g)) return;
        toast(errorText(err), 'error');
        return;
      }
      if (!alive(g)) return;
      secretHolder = { id, secret: res.secret, url: res.url || ep.url, kind: 'rotated' };
      go(`#/endpoints/${enc(id)}/secret`);
    });

    deleteBtn.addEventListener('click', async () => {
      const yes = await confirmDialog({ title: t('confirm.deleteTitle'), body: t('confirm.deleteBody', ep.url), confirmLabel: t('confirm.delete'), danger: true });
      if (!yes || !alive(g)) return;
      deleteBtn.disabled = true;
      try {
        await api('DELETE', base);
      } catch (err) {
        deleteBtn.disabled = false;
        if (isHandled(err) || !alive(g)) return;
        toast(errorText(err), 'error');
        return;
      }
      if (!alive(g)) return;
      toast(t('toast.deleted'));
      go('#/endpoints', true);
    });

    recoverForm.addEventListener('submit', async (e) => {
      e.preventDefault();
      const d = since.value ? new Date(since.value) : null;
      if (!d || Number.isNaN(d.getTime())) {
        recoverMsg.textContent = t('recover.invalid');
        since.focus();
        return;
      }
      recoverBtn.disabled = true;
      recoverMsg.textContent = '';
      // A call stops on its time budget (complete: false): the next goes on from there.
      let n = 0;
      try {
        for (let call = 0; call < 100; call += 1) {
          const res = await api('POST', `${base}/recover`, { since: d.toISOString() });
          n += (res && res.recovered) || 0;
          if (!res || res.complete !== false || !alive(g)) break;
        }
      } catch (err) {
        recoverBtn.disabled = false;
        if (isHandled(err) || !alive(g)) return;
        recoverMsg.textContent = errorText(err);
        return;
      }
      recoverBtn.disabled = false;
      if (!alive(g)) return;
      recoverMsg.textContent = t('recover.done', n);
      toast(t('recover.done', n));
      kick();
    });

    await loadFirstPage();
    if (alive(g)) schedule(renderLogState());
  }

  function toLocalInput(d) {
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  /** The fields of a type's `event_data` from its JSON Schema: name, type, whether
   *  required, and the description in the UI's language. */
  function contractFields(ty) {
    const schema = ty.schema || {};
    const req = new Set(schema.required || []);
    const typeOf = (p) => (p.type ? [].concat(p.type).join(' | ') : (p.anyOf || []).map((x) => x.type).join(' | ')) + (p.format ? ` (${p.format})` : '');
    const rows = Object.entries(schema.properties || {}).map(([name, p]) => h('tr', null,
      h('td', { 'data-label': t('contract.fields') }, h('code', { class: 'code-inline', text: name }), req.has(name) ? h('span', { class: 'badge badge-pending contract-req', text: t('contract.required') }) : null),
      h('td', null, h('code', { class: 'contract-type', text: typeOf(p) })),
      h('td', { text: (lang === 'fr' && p['x-description-fr']) || p.description || '' })));
    return h('table', { class: 'table contract-table', 'data-testid': 'contract-fields' }, h('tbody', null, rows));
  }

  function showContract(ty) {
    const closeBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-autofocus': true, text: t('close') });
    const dlg = openDialog({
      title: t('contract.title', ty.name),
      body: h('div', null, h('p', { class: 'muted', text: t(ty.enforce === false ? 'contract.introDoc' : 'contract.intro', ty.version || 1) }), contractFields(ty)),
      actions: [closeBtn],
      wide: true,
    });
    dlg.dataset.testid = 'contract-dialog';
    closeBtn.addEventListener('click', () => dlg.close());
  }

  // Payload dialog: pretty JSON with light syntax colouring (spans, textContent only).
  async function showPayload(m) {
    const body = h('div', { class: 'payload-body' }, spinner());
    const copyBtn = h('button', { type: 'button', class: 'btn btn-secondary', disabled: true, 'data-testid': 'copy-payload' }, icon('copy'), h('span', { class: 'btn-label', text: t('payload.copy') }));
    const closeBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-autofocus': true, text: t('close') });
    const g = gen;
    const dlg = openDialog({ title: `${t('payload.title')} · ${m.event_type}`, body, actions: [copyBtn, closeBtn], wide: true });
    dlg.dataset.testid = 'payload-dialog';
    closeBtn.addEventListener('click', () => dlg.close());
    let msg;
    try {
      msg = await api('GET', `/v1/messages/${enc(m.message_id)}`);
    } catch (err) {
      if (isHandled(err) || g !== gen) return;
      body.replaceChildren(h('p', { class: 'alert alert-error', role: 'alert', text: errorText(err) }));
      return;
    }
    const text = JSON.stringify(msg.payload, null, 2);
    const ty = (await catalog().catch(() => [])).find((x) => x.name === m.event_type);
    if (g !== gen) return;
    body.replaceChildren(
      h('p', { class: 'payload-meta muted' }, h('code', { class: 'code-inline', text: msg.id }), ' · ', fmtDate(msg.created_at)),
      h('pre', { class: 'json', tabindex: '0', 'aria-label': 'JSON', 'data-testid': 'payload-json' }, highlightJson(msg.payload, 0)),
      ty && ty.schema ? h('div', { class: 'payload-fields' }, h('h3', { class: 'label', text: t('contract.fields') }), contractFields(ty)) : null);
    copyBtn.disabled = false;
    copyBtn.addEventListener('click', () => copyText(text, copyBtn));
  }

  function highlightJson(v, depth) {
    const pad = '  '.repeat(depth);
    const pad1 = '  '.repeat(depth + 1);
    const out = [];
    const tok = (cls, text) => h('span', { class: cls, text });
    if (v === null) out.push(tok('j-null', 'null'));
    else if (Array.isArray(v)) {
      if (!v.length) out.push('[]');
      else {
        out.push('[\n');
        v.forEach((x, i) => {
          out.push(pad1, ...highlightJson(x, depth + 1), i < v.length - 1 ? ',\n' : '\n');
        });
        out.push(`${pad}]`);
      }
    } else if (typeof v === 'object') {
      const keys = Object.keys(v);
      if (!keys.length) out.push('{}');
      else {
        out.push('{\n');
        keys.forEach((k, i) => {
          out.push(pad1, tok('j-key', JSON.stringify(k)), ': ', ...highlightJson(v[k], depth + 1), i < keys.length - 1 ? ',\n' : '\n');
        });
        out.push(`${pad}}`);
      }
    } else if (typeof v === 'string') out.push(tok('j-str', JSON.stringify(v)));
    else if (typeof v === 'number') out.push(tok('j-num', String(v)));
    else if (typeof v === 'boolean') out.push(tok('j-bool', String(v)));
    return depth === 0 ? out.map((x) => (typeof x === 'string' ? document.createTextNode(x) : x)) : out;
  }

  // Delivered vs failed attempts per hour, grouped bars, drawn at the container's pixel width.
  function buildChart(buckets, width) {
    const H = 180;
    const m = { top: 12, right: 8, bottom: 26, left: 34 };
    const pw = width - m.left - m.right;
    const ph = H - m.top - m.bottom;
    const maxV = Math.max(0, ...buckets.map((b) => Math.max(b.delivered || 0, b.failed || 0)));
    const top = niceMax(maxV);
    const y = (v) => m.top + ph - (v / top) * ph;
    const ok = buckets.reduce((a, b) => a + (b.delivered || 0), 0);
    const ko = buckets.reduce((a, b) => a + (b.failed || 0), 0);
    const svg = s('svg', { width, height: H, viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-label': ok + ko ? t('chart.summary', ok, ko) : t('chart.none') });
    const grid = s('g', { class: 'c-grid' });
    for (const v of [0, top / 2, top]) {
      grid.append(s('line', { x1: m.left, x2: width - m.right, y1: y(v), y2: y(v) }));
      grid.append(s('text', { x: m.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'c-label' }, fmtInt(v)));
    }
    svg.append(grid);
    const n = buckets.length || 1;
    const bw = pw / n;
    const barW = Math.max(2, Math.min(14, bw * 0.36));
    const every = width < 420 ? 6 : 3;
    const bars = s('g', null);
    buckets.forEach((b, i) => {
      const x0 = m.left + i * bw;
      const cx = x0 + bw / 2;
      const from = new Date(b.hour);
      const to = new Date(from.getTime() + 3600 * 1000);
      const grp = s('g', { class: 'c-bucket' },
        s('title', null, t('chart.bucket', t('chart.hour', from), t('chart.hour', to), b.delivered || 0, b.failed || 0)),
        s('rect', { x: x0, y: m.top, width: bw, height: ph, class: 'c-hover' }));
      if (b.delivered) grp.append(s('rect', { x: cx - barW - 1, y: y(b.delivered), width: barW, height: Math.max(1, m.top + ph - y(b.delivered)), rx: 2, class: 'c-ok' }));
      if (b.failed) grp.append(s('rect', { x: cx + 1, y: y(b.failed), width: barW, height: Math.max(1, m.top + ph - y(b.failed)), rx: 2, class: 'c-ko' }));
      bars.append(grp);
      if ((n - 1 - i) % every === 0) {
        svg.append(s('text', { x: cx, y: H - 8, 'text-anchor': 'middle', class: 'c-label' }, t('chart.hour', from)));
      }
    });
    svg.append(bars);
    svg.append(s('line', { x1: m.left, x2: width - m.right, y1: y(0), y2: y(0), class: 'c-axis' }));
    if (!ok && !ko) svg.append(s('text', { x: m.left + pw / 2, y: m.top + ph / 2, 'text-anchor': 'middle', class: 'c-empty' }, t('chart.none')));
    return svg;
  }

  function niceMax(v) {
    if (v <= 4) return 4;
    const pow = 10 ** Math.floor(Math.log10(v));
    for (const k of [1, 2, 2.5, 5, 10]) {
      const c = k * pow;
      if (c >= v && (c / 2) % 1 === 0) return c;
    }
    return 10 * pow;
  }

  function viewNotFound(route, g, moveFocus) {
    setTitle(t('err.route'));
    app.replaceChildren(h('section', { class: 'panel state' },
      h('h1', { class: 'state-title', text: t('err.route') }),
      h('div', { class: 'state-actions' }, h('a', { class: 'btn btn-primary', href: '#/endpoints', text: t('err.back') }))));
    focusHeading(moveFocus);
  }

  // ---------------------------------------------------------------------------------------
  // Chrome: language switch, sign-out, start-up
  // ---------------------------------------------------------------------------------------
  function applyChrome() {
    document.documentElement.lang = lang;
    const sw = document.getElementById('lang-switch');
    sw.replaceChildren(h('span', { class: 'long', text: t('lang.other') }), h('span', { class: 'short', 'aria-hidden': 'true', text: lang === 'fr' ? 'EN' : 'FR' }));
    sw.setAttribute('lang', lang === 'fr' ? 'en' : 'fr');
    sw.setAttribute('aria-label', t('lang.otherLabel'));
    const out = document.getElementById('logout');
    out.replaceChildren(icon('logout'), h('span', { class: 'long', text: t('logout') }));
    out.setAttribute('aria-label', t('logout'));
    document.getElementById('skip-link').textContent = t('skip');
    document.getElementById('brand-product').textContent = t('app.name');
  }

  document.getElementById('lang-switch').addEventListener('click', () => {
    lang = lang === 'fr' ? 'en' : 'fr';
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch (_) {
      /* preference not kept */
    }
    applyChrome();
    if (captureDraft) draft = captureDraft();
    if (getToken()) render({ keepFocus: true });
    else showTokenScreen();
  });

  document.getElementById('logout').addEventListener('click', () => {
    setToken('');
    secretHolder = null;
    catalogCache = null;
    currentRoute = null;
    showTokenScreen();
    toast(t('token.signedOut'));
  });

  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    const h1 = app.querySelector('h1');
    (h1 || app).setAttribute('tabindex', '-1');
    (h1 || app).focus();
  });

  window.addEventListener('hashchange', () => {
    // A pasted portal link while the app is open.
    if (/^#(?:[^/].*&)?token=/.test(location.hash)) takeTokenFromFragment();
    render();
  });

  takeTokenFromFragment();
  document.getElementById('logout').hidden = !getToken();
  applyChrome();
  render();
})();
