import type { Messages } from './ja.js';

/**
 * やさしい日本語 (Easy Japanese): short sentences, everyday words, every kanji with its reading
 * (shown as furigana). Written after the Immigration Services Agency / Agency for Cultural
 * Affairs guidelines for plain Japanese (one idea per sentence, no honorific forms).
 */
export const jaEasy: Messages = {
  'ui.language': '{言葉|ことば} / Language',
  'ui.chooseLanguage': '{言葉|ことば}を{選|えら}んで ください',
  'ui.largeText': '{字|じ}を {大|おお}きく',
  'ui.normalText': '{字|じ}を もとに {戻|もど}す',
  'ui.volume': '{音|おと}の {大|おお}きさ {level}/3',
  'ui.volumeOff': '{音|おと} なし',
  'ui.repeat': 'もう {一回|いっかい} {聞|き}く',
  'ui.clear': 'けす',
  'ui.ok': 'OK',
  'ui.retry': 'もう {一回|いっかい} {開|あ}ける',
  'ui.counter': '{窓口|まどぐち}へ {行|い}く',
  'ui.cancel': 'やめる',
  'ui.back': '{戻|もど}る',
  'ui.moreTimeYes': 'まだ つづける',
  'ui.pinDots': '4つの うち {n}つ {押|お}しました',
  'ui.progress': 'いま どこ',

  'steps.card': 'カード',
  'steps.pin': '{番号|ばんごう}',
  'steps.open': 'ドア',
  'steps.done': 'おわり',

  'hours.always': 'いつでも {使|つか}えます',
  'hours.range': '{使|つか}える {時間|じかん} {open}〜{close}',

  'status.open': '{使|つか}えます',
  'status.closed': 'いまは {使|つか}えません',
  'status.maintenance': 'いま {調|しら}べて います',
  'status.paused': 'いま {止|と}まって います',
  'status.outOfService': 'いま {休|やす}み',
  'status.offline': 'つながって いません',

  'pin.tries': 'あと {n}{回|かい}',
  'pin.wrongPin': '{番号|ばんごう}が ちがいます。あと {n}{回|かい} できます。',
  'pin.lastTry':
    '{番号|ばんごう}が ちがいます。あと 1{回|かい} まちがえると カードが {使|つか}えなく なります。',
  'pin.phone':
    'スマートフォン です。 {暗証番号|あんしょうばんごう} を {入|い}れて ください。 そのあと {証明書|しょうめいしょ} を {調|しら}べます。',

  'compartment.opening': '{開|あ}けて います',
  'compartment.open': '{開|あ}いて います',
  'compartment.closed': '{閉|し}まりました',
  'compartment.failed': '{開|あ}きません でした',
  'compartment.not_opened': 'かぎを かけました',
  'compartment.not_collected': '{書類|しょるい}が {残|のこ}って います',
  'compartment.left_open': 'ドアを {閉|し}めて ください',

  'screen.idle.title': 'マイナンバーカードを {置|お}いて ください',
  'screen.idle.body':
    'カードを {機械|きかい}の {上|うえ}に {置|お}きます。{書類|しょるい}を もらえます。',
  'screen.reading.title': 'カードを {見|み}て います',
  'screen.reading.body': 'カードを {動|うご}かさないで ください。',
  'screen.pin.title': 'カードの {番号|ばんごう}（4つの {数字|すうじ}）を {押|お}して ください',
  'screen.pin.body': '{数字|すうじ}を {押|お}します。そのあと OKを {押|お}します。',
  'screen.verifying.title': '{調|しら}べて います',
  'screen.verifying.body': 'カードを {動|うご}かさないで ください。',
  'screen.opening.title': 'ドアを {開|あ}けて います',
  'screen.opening.body': 'すこし {待|ま}って ください。',
  'screen.open.title': 'ドアが {開|あ}きました',
  'screen.open.body': '{書類|しょるい}を {取|と}って ください。ドアを {閉|し}めて ください。',
  'screen.collected.title': 'おわりました',
  'screen.collected.body': 'カードを {取|と}って ください。ありがとう ございました。',
  'screen.loading.title': '{職員|しょくいん}：ドアが {開|あ}きました',
  'screen.loading.body': '{書類|しょるい}を {入|い}れて、ドアを {閉|し}めて ください。',
  'screen.loaded.title': '{職員|しょくいん}：{入|い}れました',
  'screen.loaded.body': 'カードを {取|と}って ください。',
  'screen.retrieval.title': '{職員|しょくいん}：ドアが {開|あ}きました',
  'screen.retrieval.body': '{書類|しょるい}を {出|だ}して、ドアを {閉|し}めて ください。',
  'screen.door_open.title': '{入|はい}れます',
  'screen.door_open.body': 'ドアを {開|あ}けて {入|はい}って ください。',

  'error.pin_blocked.title': 'カードの {番号|ばんごう}が {使|つか}えません',
  'error.pin_blocked.body':
    '{市役所|しやくしょ}で {番号|ばんごう}を {新|あたら}しく して ください。',
  'error.pin_timeout.title': '{時間|じかん}が おわりました',
  'error.pin_timeout.body': 'もう {一回|いっかい} カードを {置|お}いて ください。',
  'error.cert_revoked.title': 'この カードは {使|つか}えません',
  'error.cert_revoked.body':
    '{市役所|しやくしょ}に {聞|き}いて ください。カードを {取|と}って ください。',
  'error.cert_expired.title': 'この カードの {期限|きげん}が {切|き}れて います',
  'error.cert_expired.body': '{市役所|しやくしょ}で {新|あたら}しく して ください。',
  'error.cert_untrusted.title': 'この カードは {使|つか}えません',
  'error.cert_untrusted.body': 'カードを {確|たし}かめる ことが できません でした。',
  'error.crl_stale.title': 'いま カードを {調|しら}べる ことが できません',
  'error.crl_stale.body': '{書類|しょるい}を {渡|わた}すのを {止|と}めて います。',
  'error.crl_not_yet_valid.title': 'いま カードを {調|しら}べる ことが できません',
  'error.crl_not_yet_valid.body':
    '{情報|じょうほう}の {日付|ひづけ}が おかしいので、{書類|しょるい}を {渡|わた}すのを {止|と}めて います。',
  'error.nothing_to_collect.title': 'あなたの {書類|しょるい}は ありません',
  'error.nothing_to_collect.body': 'カードを {取|と}って ください。',
  'error.card_removed.title': 'カードが {取|と}られました',
  'error.card_removed.body': 'はじめから して ください。',
  'error.card_error.title': 'カードが {読|よ}めません でした',
  'error.card_error.body': 'もう {一回|いっかい} カードを {置|お}いて ください。',
  'error.not_my_number_card.title': 'これは マイナンバーカード では ありません',
  'error.not_my_number_card.body': 'マイナンバーカード を {置|お}いて ください。',
  'error.proof_failed.title': 'あなたの ことを {確|たし}かめられません でした',
  'error.proof_failed.body': 'カードを {取|と}って ください。',
  'error.door_not_opened.title': 'ドアが {開|あ}かなかったので かぎを かけました',
  'error.door_not_opened.body':
    '{書類|しょるい}は {中|なか}に あります。もう {一回|いっかい} カードを {置|お}いて ください。',
  'error.not_collected.title': '{書類|しょるい}が {中|なか}に あるまま ドアが {閉|し}まりました',
  'error.not_collected.body':
    '{書類|しょるい}は {中|なか}に あります。もう {一回|いっかい} カードを {置|お}いて ください。',
  'error.door_left_open.title': 'ドアが {開|あ}いた ままです',
  'error.door_left_open.body': 'ドアを {閉|し}めて ください。',
  'error.lock_failed.title': 'ドアが {開|あ}きません でした',
  'error.lock_failed.body':
    'もう {一回|いっかい} {開|あ}けるか、{窓口|まどぐち}に {聞|き}いて ください。',
  'error.deadline_passed.title': '{受|う}け{取|と}る {日|ひ}が {過|す}ぎました',
  'error.deadline_passed.body': '{書類|しょるい}は {窓口|まどぐち}に {戻|もど}します。',
  'error.outside_hours.title': 'いまは {使|つか}えない {時間|じかん}です',
  'error.outside_hours.body': '{使|つか}える {時間|じかん}に {来|き}て ください。',
  'error.maintenance_mode.title': 'いま {機械|きかい}を {調|しら}べて います',
  'error.maintenance_mode.body': 'すこし {待|ま}って ください。',
  'error.door_denied.title': 'いまは {入|はい}れません',
  'error.door_denied.body': 'この カードでは いま {入|はい}れません。',
  'error.cancelled.title': 'やめました',
  'error.cancelled.body': 'カードを {取|と}って ください。',
  'error.last_try.title': '{番号|ばんごう}は あと 1{回|かい}だけです',
  'error.last_try.body':
    'カードが {使|つか}えなく ならないように、ここでは {押|お}しません。{窓口|まどぐち}に {聞|き}いて ください。',
  'error.out_of_service.title': 'いま {書類|しょるい}を {渡|わた}せません',
  'error.out_of_service.body':
    '{窓口|まどぐち}に {聞|き}いて ください。カードを {取|と}って ください。',

  'outOfService.title': 'いま {書類|しょるい}を {渡|わた}せません',
  'outOfService.body': '{直|なお}るまで {待|ま}つか、{窓口|まどぐち}に {聞|き}いて ください。',
  'outOfService.reader': 'カードを {読|よ}む {機械|きかい}が {動|うご}いて いません。',
  'outOfService.boards': 'ロッカーの ドアが {開|あ}きません。',
  'outOfService.outbox': '{市役所|しやくしょ}への {連絡|れんらく}が {止|と}まって います。',
  'outOfService.crl': 'カードを {調|しら}べる ための {情報|じょうほう}が {古|ふる}いです。',
  'outOfService.crl_not_yet_valid':
    'カードを {調|しら}べる ための {情報|じょうほう}の {日付|ひづけ}が おかしいです。',

  'offline.title': 'この {画面|がめん}は {使|つか}えません',
  'offline.body': '{機械|きかい}が {止|と}まって います。{窓口|まどぐち}に {聞|き}いて ください。',

  'reminder.title': 'カードを {忘|わす}れて います',
  'reminder.body': '{機械|きかい}から カードを {取|と}って ください。',

  'moreTime.title': 'まだ つづけますか？',
  'moreTime.body': 'つづけるときは「まだ つづける」を {押|お}して ください。',
  'moreTime.doorOpen':
    'もうすぐ ドアに かぎが かかります。{時間|じかん}が ほしい ときは「まだ つづける」を {押|お}して ください。',
  'moreTime.doorClose':
    'ドアを {閉|し}める まで {時間|じかん}が ほしい ときは「まだ つづける」を {押|お}して ください。',
  'moreTime.seconds': 'あと {s}{秒|びょう}',

  'help.title': 'こまったときは',
  'help.qr': 'QRコードで {電話番号|でんわばんごう}が わかります',
  'help.none': '{窓口|まどぐち}に {聞|き}いて ください',
};
