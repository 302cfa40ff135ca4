//! The text of notification mails, in French and English: which endpoint, the error in
//! plain words (from its code, like the UI), and what to do.

use super::{Language, Mail, NotificationSettings};
use crate::operational::{
    DisabledReason, LastError, OperationalData, ENDPOINT_DISABLED, ENDPOINT_FAILING,
};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// The sentences of one language.
struct Texts {
    date: &'static str,
    /// French puts a space before a colon.
    colon: &'static str,
    subject_failing: &'static str,
    subject_disabled: &'static str,
    subject_failed: &'static str,
    hello: &'static str,
    failing: &'static str,
    disable_at: &'static str,
    disabled_failing: &'static str,
    disabled_manual: &'static str,
    failed: &'static str,
    endpoint: &'static str,
    last_error: &'static str,
    why: &'static str,
    todo: &'static str,
    todo_failing: &'static str,
    todo_disabled: &'static str,
    todo_failed: &'static str,
    open: &'static str,
    footer: &'static str,
    explain: fn(&LastError) -> &'static str,
}

const FR: Texts = Texts {
    date: "%d/%m/%Y à %H:%M UTC",
    colon: " : ",
    subject_failing: "[Webhooks Peopulse] Livraisons en échec vers « {ep} »",
    subject_disabled: "[Webhooks Peopulse] Point de terminaison « {ep} » désactivé",
    subject_failed: "[Webhooks Peopulse] Message {type} non livré à « {ep} »",
    hello: "Bonjour,",
    failing: "Toutes les livraisons vers ce point de terminaison échouent depuis le {since}.",
    disable_at: "Sans livraison réussie d’ici là, il sera désactivé automatiquement le {at}.",
    disabled_failing: "Ce point de terminaison a été désactivé automatiquement : aucune livraison n’a réussi depuis le {since}. Les nouveaux messages ne lui sont plus envoyés.",
    disabled_manual: "Ce point de terminaison a été désactivé par un administrateur. Les nouveaux messages ne lui sont plus envoyés.",
    failed: "Le message {type} (identifiant {id}) n’a pas pu être livré après {n} tentative(s).",
    endpoint: "Point de terminaison",
    last_error: "Dernière erreur",
    why: "Explication",
    todo: "Que faire",
    todo_failing: "Corrigez la cause ci-dessus : les messages en attente seront livrés aux prochaines tentatives, sans action de votre part.",
    todo_disabled: "Corrigez la cause, réactivez le point de terminaison dans l’interface, puis relancez les messages en échec.",
    todo_failed: "Corrigez la cause, puis rejouez le message depuis le journal de livraison.",
    open: "Ouvrir dans l’interface",
    footer: "Vous recevez ce message car votre adresse figure dans les notifications de votre enseigne. Modifiez-les dans l’écran « Notifications » de l’interface Webhooks.",
    explain: explain_fr,
};

const EN: Texts = Texts {
    date: "%Y-%m-%d at %H:%M UTC",
    colon: ": ",
    subject_failing: "[Peopulse Webhooks] Deliveries to \"{ep}\" are failing",
    subject_disabled: "[Peopulse Webhooks] Endpoint \"{ep}\" disabled",
    subject_failed: "[Peopulse Webhooks] {type} message not delivered to \"{ep}\"",
    hello: "Hello,",
    failing: "Every delivery to this endpoint has failed since {since}.",
    disable_at: "Unless a delivery succeeds before then, it will be disabled automatically on {at}.",
    disabled_failing: "This endpoint was disabled automatically: no delivery has succeeded since {since}. New messages are no longer sent to it.",
    disabled_manual: "This endpoint was disabled by an administrator. New messages are no longer sent to it.",
    failed: "The {type} message (id {id}) could not be delivered after {n} attempt(s).",
    endpoint: "Endpoint",
    last_error: "Last error",
    why: "What it means",
    todo: "What to do",
    todo_failing: "Fix the cause above: waiting messages will be delivered by the next attempts, with nothing more to do.",
    todo_disabled: "Fix the cause, enable the endpoint again in the UI, then recover the failed messages.",
    todo_failed: "Fix the cause, then replay the message from the delivery log.",
    open: "Open in the UI",
    footer: "You receive this mail because your address is in your company's notification settings. Change them in the \"Notifications\" screen of the Webhooks UI.",
    explain: explain_en,
};

fn explain_fr(e: &LastError) -> &'static str {
    match (e.code.as_str(), e.status_code) {
        ("timeout", _) => "Votre serveur n’a pas répondu dans les 10 secondes. Répondez 2xx dès réception, puis traitez le message en arrière-plan.",
        ("connect", _) => "La connexion a été refusée : rien n’écoute à cette adresse ou un pare-feu bloque l’accès. Vérifiez que le service tourne et que l’URL et le port sont les bons.",
        ("tls", _) => "Le certificat HTTPS est invalide, expiré, auto-signé ou ne correspond pas au nom. Renouvelez-le ou installez la chaîne complète d’une autorité reconnue.",
        ("dns", _) => "Le nom de domaine de l’URL est introuvable. Vérifiez l’orthographe de l’URL et l’enregistrement DNS.",
        ("blocked", _) => "L’adresse résolue est privée, locale ou réservée : la politique de sécurité interdit d’y envoyer. Utilisez une URL publique.",
        ("io", _) => "La connexion s’est interrompue pendant l’échange. Vérifiez la stabilité du serveur et des équipements réseau (proxy, répartiteur).",
        ("endpoint_disabled", _) => "Le point de terminaison est désactivé : rien n’a été envoyé.",
        (_, Some(401 | 403)) => "Votre serveur a refusé notre signature ou notre jeton. Vérifiez le secret utilisé pour la vérification et les en-têtes d’authentification configurés.",
        (_, Some(404)) => "L’URL n’existe pas sur votre serveur. Vérifiez le chemin de l’URL du point de terminaison.",
        (_, Some(410)) => "Votre serveur a répondu 410 : nous cessons d’envoyer ce message.",
        (_, Some(413)) => "Le message est trop volumineux pour votre serveur. Relevez la taille maximale acceptée (jusqu’à 256 Kio).",
        (_, Some(429)) => "Votre serveur limite le débit. Relevez la limite si elle est trop basse.",
        (_, Some(300..=399)) => "Votre serveur a répondu par une redirection, que nous ne suivons pas. Renseignez directement l’URL finale.",
        (_, Some(400..=499)) => "Votre serveur a refusé la requête. Consultez la réponse dans le journal de livraison et les journaux de votre serveur.",
        (_, Some(500..)) => "Votre serveur a rencontré une erreur interne. Consultez ses journaux.",
        _ => "La livraison a échoué. Consultez le journal de livraison.",
    }
}

fn explain_en(e: &LastError) -> &'static str {
    match (e.code.as_str(), e.status_code) {
        ("timeout", _) => "Your server did not answer within 10 seconds. Answer 2xx as soon as you receive it, then process the message in the background.",
        ("connect", _) => "The connection was refused: nothing listens at this address, or a firewall blocks it. Check that the service is running and that the URL and port are right.",
        ("tls", _) => "The HTTPS certificate is invalid, expired, self-signed or for another name. Renew it, or install the full chain of a recognised authority.",
        ("dns", _) => "The URL's domain name cannot be found. Check the URL's spelling and its DNS record.",
        ("blocked", _) => "The address resolves to a private, local or reserved network: the security policy forbids sending there. Use a public URL.",
        ("io", _) => "The connection broke during the exchange. Check the stability of the server and of the network equipment (proxy, load balancer).",
        ("endpoint_disabled", _) => "The endpoint is disabled: nothing was sent.",
        (_, Some(401 | 403)) => "Your server refused our signature or token. Check the secret it verifies with and the authentication headers configured.",
        (_, Some(404)) => "The URL does not exist on your server. Check the endpoint URL's path.",
        (_, Some(410)) => "Your server answered 410: we stop sending this message.",
        (_, Some(413)) => "The message is too large for your server. Raise its maximum accepted size (up to 256 KiB).",
        (_, Some(429)) => "Your server limits the rate. Raise the limit if it is too low.",
        (_, Some(300..=399)) => "Your server answered with a redirect, which we do not follow. Enter the final URL directly.",
        (_, Some(400..=499)) => "Your server refused the request. See the response in the delivery log and your server's logs.",
        (_, Some(500..)) => "Your server hit an internal error. See its logs.",
        _ => "The delivery failed. See the delivery log.",
    }
}

/// The mail about operational event `event_type` with `data`, in the settings' language, to
/// their recipients.
pub fn render(event_type: &str, data: &OperationalData, settings: &NotificationSettings) -> Mail {
    let t = match settings.language {
        Language::Fr => &FR,
        Language::En => &EN,
    };
    let date = |d: DateTime<Utc>| d.format(t.date).to_string();
    let ep = if data.endpoint_description.trim().is_empty() {
        data.endpoint_url.as_str()
    } else {
        data.endpoint_description.trim()
    };
    let since = data.failing_since.map(date).unwrap_or_default();
    let message_type = data.message_event_type.as_deref().unwrap_or_default();
    let (subject, intro, todo) = match event_type {
        ENDPOINT_FAILING => {
            let mut intro = t.failing.replace("{since}", &since);
            if let Some(at) = data.disable_at {
                intro = format!("{intro} {}", t.disable_at.replace("{at}", &date(at)));
            }
            (t.subject_failing, intro, t.todo_failing)
        }
        ENDPOINT_DISABLED => {
            let intro = match data.reason {
                Some(DisabledReason::Manual) => t.disabled_manual.to_owned(),
                _ => t.disabled_failing.replace("{since}", &since),
            };
            (t.subject_disabled, intro, t.todo_disabled)
        }
        _ => {
            let intro = (t.failed.replace("{type}", message_type))
                .replace("{id}", data.message_id.as_deref().unwrap_or_default())
                .replace("{n}", &data.attempts.unwrap_or_default().to_string());
            (t.subject_failed, intro, t.todo_failed)
        }
    };
    let c = t.colon;
    let mut text = format!(
        "{}\n\n{intro}\n\n{}{c}{}",
        t.hello, t.endpoint, data.endpoint_url
    );
    if !data.endpoint_description.trim().is_empty() {
        let _ = write!(text, " ({})", data.endpoint_description.trim());
    }
    if let Some(e) = &data.last_error {
        let status = e
            .status_code
            .map(|s| format!(", HTTP {s}"))
            .unwrap_or_default();
        let _ = write!(
            text,
            "\n{}{c}{}{status}, {}\n\n{}{c}{}",
            t.last_error,
            e.code,
            date(e.at),
            t.why,
            (t.explain)(e)
        );
    }
    let _ = write!(text, "\n\n{}{c}{todo}", t.todo);
    if let Some(links) = &data.links {
        let link = links.message.as_deref().unwrap_or(&links.endpoint);
        let _ = write!(text, "\n\n{}{c}{link}", t.open);
    }
    let _ = write!(text, "\n\n-- \n{}\n", t.footer);
    let subject = (subject.replace("{ep}", ep)).replace("{type}", message_type);
    Mail {
        to: settings.recipients.clone(),
        subject,
        text,
    }
}
