/**
 * Japanese: the reference language of the kiosk catalogue. Its keys are the catalogue's keys;
 * every other language must have exactly these (the compiler and catalogueProblems() check).
 *
 * Markup, shared by every language:
 * - `{name}` is a placeholder filled in by the page (`{n}` tries, `{open}` hours, ...);
 * - `{漢字|かんじ}` is a word with its reading. Japanese texts carry the reading of every kanji:
 *   やさしい日本語 shows it as furigana (`<ruby>`), plain Japanese shows the word alone, and the
 *   speech generator reads the kana when it has to fall back to espeak-ng (which cannot read kanji).
 */
export const ja = {
  'ui.language': '{言語|げんご} / Language',
  'ui.chooseLanguage': '{言語|げんご}を{選|えら}んでください',
  'ui.largeText': '{文字|もじ}を{大|おお}きく',
  'ui.normalText': '{文字|もじ}を{標準|ひょうじゅん}に',
  'ui.volume': '{音量|おんりょう} {level}/3',
  'ui.volumeOff': '{音声|おんせい}オフ',
  'ui.repeat': 'もう{一度|いちど}{聞|き}く',
  'ui.clear': '{消去|しょうきょ}',
  'ui.ok': '{確定|かくてい}',
  'ui.retry': 'もう{一度|いちど}{開|あ}ける',
  'ui.counter': '{窓口|まどぐち}へ{行|い}く',
  'ui.cancel': 'やめる',
  'ui.back': '{戻|もど}る',
  'ui.moreTimeYes': 'まだ{続|つづ}ける',
  'ui.pinDots': '{4桁|よんけた}のうち{n}{桁|けた}{入力|にゅうりょく}しました',
  'ui.progress': '{進|すす}み{具合|ぐあい}',

  'steps.card': 'カード',
  'steps.pin': '{暗証番号|あんしょうばんごう}',
  'steps.open': '{扉|とびら}',
  'steps.done': '{完了|かんりょう}',

  'hours.always': '24{時間|じかん}{利用|りよう}できます',
  'hours.range': '{利用|りよう}{時間|じかん} {open}〜{close}',

  'status.open': '{利用|りよう}できます',
  'status.closed': '{時間外|じかんがい}',
  'status.maintenance': '{点検中|てんけんちゅう}',
  'status.paused': '{受|う}け{取|と}り{停止中|ていしちゅう}',
  'status.outOfService': '{休止中|きゅうしちゅう}',
  'status.offline': '{接続|せつぞく}が{切|き}れています',

  'pin.tries': '{残|のこ}り {n} {回|かい}',
  'pin.wrongPin': '{暗証番号|あんしょうばんごう}が{違|ちが}います。{残|のこ}り {n} {回|かい}です。',
  'pin.lastTry':
    '{暗証番号|あんしょうばんごう}が{違|ちが}います。あと1{回|かい}{間違|まちが}えるとカードがロックされます。',
  'pin.phone':
    'スマートフォンです。{利用者証明用|りようしゃしょうめいよう}の{暗証番号|あんしょうばんごう}を{入力|にゅうりょく}してください。そのあと{証明書|しょうめいしょ}を{確認|かくにん}します。',

  'compartment.opening': '{解錠中|かいじょうちゅう}',
  'compartment.open': '{開|あ}いています',
  'compartment.closed': '{閉|し}まりました',
  'compartment.failed': '{開|あ}きませんでした',
  'compartment.not_opened': '{施錠|せじょう}しました',
  'compartment.not_collected': '{書類|しょるい}が{残|のこ}っています',
  'compartment.left_open': '{扉|とびら}を{閉|し}めてください',

  'screen.idle.title': 'マイナンバーカードを{置|お}いてください',
  'screen.idle.body':
    'カードを{読|よ}み{取|と}り{機|き}の{上|うえ}に{置|お}くと、{書類|しょるい}を{受|う}け{取|と}れます。',
  'screen.reading.title': 'カードを{確認|かくにん}しています',
  'screen.reading.body': 'カードを{動|うご}かさないでください。',
  'screen.pin.title':
    '{利用者証明用|りようしゃしょうめいよう}の{暗証番号|あんしょうばんごう}（{数字|すうじ}{4桁|よんけた}）を{入力|にゅうりょく}してください',
  'screen.pin.body':
    '{画面|がめん}の{数字|すうじ}を{押|お}して、{確定|かくてい}を{押|お}してください。',
  'screen.verifying.title': '{確認|かくにん}しています',
  'screen.verifying.body': 'カードを{動|うご}かさないでください。',
  'screen.opening.title': '{扉|とびら}を{開|あ}けています',
  'screen.opening.body': 'しばらくお{待|ま}ちください。',
  'screen.open.title': '{扉|とびら}が{開|あ}きました',
  'screen.open.body': '{書類|しょるい}を{取|と}り{出|だ}して、{扉|とびら}を{閉|し}めてください。',
  'screen.collected.title': '{受|う}け{取|と}りが{完了|かんりょう}しました',
  'screen.collected.body': 'カードをお{取|と}りください。ありがとうございました。',
  'screen.loading.title': '{職員|しょくいん}：{扉|とびら}が{開|あ}きました',
  'screen.loading.body': '{書類|しょるい}を{入|い}れて{扉|とびら}を{閉|し}めてください。',
  'screen.loaded.title': '{職員|しょくいん}：{格納|かくのう}が{完了|かんりょう}しました',
  'screen.loaded.body': 'カードをお{取|と}りください。',
  'screen.retrieval.title':
    '{職員|しょくいん}：{回収|かいしゅう}のため{扉|とびら}が{開|あ}きました',
  'screen.retrieval.body':
    '{書類|しょるい}を{取|と}り{出|だ}して{扉|とびら}を{閉|し}めてください。',
  'screen.door_open.title': '{入館|にゅうかん}できます',
  'screen.door_open.body': '{扉|とびら}を{開|あ}けてお{入|はい}りください。',

  'error.pin_blocked.title': '{暗証番号|あんしょうばんごう}がロックされています',
  'error.pin_blocked.body':
    '{市区町村|しくちょうそん}の{窓口|まどぐち}で{暗証番号|あんしょうばんごう}の{再設定|さいせってい}をしてください。カードをお{取|と}りください。',
  'error.pin_timeout.title': '{時間切|じかんぎ}れです',
  'error.pin_timeout.body': 'もう{一度|いちど}カードを{置|お}き{直|なお}してください。',
  'error.cert_revoked.title':
    'このカードの{電子証明書|でんししょうめいしょ}は{失効|しっこう}しています',
  'error.cert_revoked.body':
    '{市区町村|しくちょうそん}の{窓口|まどぐち}にお{問|と}い{合|あ}わせください。カードをお{取|と}りください。',
  'error.cert_expired.title':
    'このカードの{電子証明書|でんししょうめいしょ}は{有効期限|ゆうこうきげん}が{切|き}れています',
  'error.cert_expired.body':
    '{市区町村|しくちょうそん}の{窓口|まどぐち}で{更新|こうしん}してください。',
  'error.cert_untrusted.title': 'このカードは{利用|りよう}できません',
  'error.cert_untrusted.body':
    '{利用者証明用電子証明書|りようしゃしょうめいようでんししょうめいしょ}を{確認|かくにん}できませんでした。',
  'error.crl_stale.title': 'ただいまカードを{確認|かくにん}できません',
  'error.crl_stale.body':
    '{失効情報|しっこうじょうほう}が{古|ふる}いため、{受|う}け{取|と}りを{停止|ていし}しています。',
  'error.crl_not_yet_valid.title': 'ただいまカードを{確認|かくにん}できません',
  'error.crl_not_yet_valid.body':
    '{失効情報|しっこうじょうほう}の{日付|ひづけ}が{未来|みらい}になっているため、{受|う}け{取|と}りを{停止|ていし}しています。',
  'error.nothing_to_collect.title': 'お{受|う}け{取|と}りいただける{書類|しょるい}はありません',
  'error.nothing_to_collect.body':
    'このカードで{受|う}け{取|と}る{書類|しょるい}はありません。カードをお{取|と}りください。',
  'error.card_removed.title': 'カードが{取|と}り{外|はず}されました',
  'error.card_removed.body':
    '{手続|てつづ}きを{中止|ちゅうし}しました。{最初|さいしょ}からやり{直|なお}してください。',
  'error.card_error.title': 'カードを{読|よ}み{取|と}れませんでした',
  'error.card_error.body': 'カードを{置|お}き{直|なお}してください。',
  'error.not_my_number_card.title': 'マイナンバーカードではありません',
  'error.not_my_number_card.body': 'マイナンバーカードを{置|お}いてください。',
  'error.proof_failed.title': '{本人確認|ほんにんかくにん}ができませんでした',
  'error.proof_failed.body': 'カードをお{取|と}りください。',
  'error.door_not_opened.title': '{扉|とびら}が{開|あ}けられなかったため{施錠|せじょう}しました',
  'error.door_not_opened.body':
    '{書類|しょるい}はそのまま{保管|ほかん}されています。もう{一度|いちど}カードを{置|お}いてください。',
  'error.not_collected.title':
    '{書類|しょるい}が{中|なか}に{残|のこ}ったまま{扉|とびら}が{閉|し}まりました',
  'error.not_collected.body':
    '{書類|しょるい}は{保管|ほかん}されています。もう{一度|いちど}カードを{置|お}くと{受|う}け{取|と}れます。',
  'error.door_left_open.title': '{扉|とびら}が{開|あ}いたままです',
  'error.door_left_open.body': '{扉|とびら}を{閉|し}めてください。',
  'error.lock_failed.title': '{扉|とびら}が{開|あ}きませんでした',
  'error.lock_failed.body':
    'もう{一度|いちど}{試|ため}すか、{窓口|まどぐち}にお{問|と}い{合|あ}わせください。',
  'error.deadline_passed.title': '{受|う}け{取|と}り{期限|きげん}を{過|す}ぎています',
  'error.deadline_passed.body': '{書類|しょるい}は{窓口|まどぐち}にお{戻|もど}しします。',
  'error.outside_hours.title': '{利用時間外|りようじかんがい}です',
  'error.outside_hours.body': '{利用|りよう}{時間|じかん}{内|ない}にお{越|こ}しください。',
  'error.maintenance_mode.title': 'ただいま{点検中|てんけんちゅう}です',
  'error.maintenance_mode.body': 'しばらくお{待|ま}ちください。',
  'error.door_denied.title': '{入館|にゅうかん}できません',
  'error.door_denied.body': 'このカードでは{今|いま}{入館|にゅうかん}できません。',
  'error.cancelled.title': '{中止|ちゅうし}しました',
  'error.cancelled.body': 'カードをお{取|と}りください。',
  'error.last_try.title': '{暗証番号|あんしょうばんごう}はあと1{回|かい}しか{試|ため}せません',
  'error.last_try.body':
    'カードがロックされないよう、ここでは{入力|にゅうりょく}しません。{窓口|まどぐち}にお{問|と}い{合|あ}わせください。',
  'error.out_of_service.title': 'ただいま{受|う}け{取|と}りできません',
  'error.out_of_service.body':
    '{窓口|まどぐち}にお{問|と}い{合|あ}わせください。カードをお{取|と}りください。',

  'outOfService.title': 'ただいま{受|う}け{取|と}りできません',
  'outOfService.body':
    '{直|なお}るまでお{待|ま}ちいただくか、{窓口|まどぐち}にお{問|と}い{合|あ}わせください。',
  'outOfService.reader': 'カード{読|よ}み{取|と}り{機|き}が{動|うご}いていません。',
  'outOfService.boards': 'ロッカーの{扉|とびら}を{開|あ}けられません。',
  'outOfService.outbox':
    '{役所|やくしょ}への{記録|きろく}が{送|おく}れず、{受|う}け{取|と}りを{止|と}めています。',
  'outOfService.crl':
    'カードの{失効情報|しっこうじょうほう}が{古|ふる}く、カードを{確認|かくにん}できません。',
  'outOfService.crl_not_yet_valid':
    'カードの{失効情報|しっこうじょうほう}の{日付|ひづけ}が{未来|みらい}になっており（{時計|とけい}の{誤|あやま}り？）、カードを{確認|かくにん}できません。',

  'offline.title': 'この{画面|がめん}は{使|つか}えません',
  'offline.body':
    '{装置|そうち}が{止|と}まっています。{窓口|まどぐち}にお{問|と}い{合|あ}わせください。',

  'reminder.title': 'カードをお{忘|わす}れです',
  'reminder.body': '{読|よ}み{取|と}り{機|き}からカードをお{取|と}りください。',

  'moreTime.title': 'まだ{続|つづ}けますか？',
  'moreTime.body': '{続|つづ}けるときは「まだ{続|つづ}ける」を{押|お}してください。',
  'moreTime.doorOpen':
    'まもなく{扉|とびら}に{鍵|かぎ}がかかります。{開|あ}けるのに{時間|じかん}がかかるときは「まだ{続|つづ}ける」を{押|お}してください。',
  'moreTime.doorClose':
    '{扉|とびら}を{閉|し}めるまでに{時間|じかん}がかかるときは「まだ{続|つづ}ける」を{押|お}してください。',
  'moreTime.seconds': 'あと {s} {秒|びょう}',

  'help.title': 'お{困|こま}りのときは',
  'help.qr': 'QRコードで{連絡先|れんらくさき}を{読|よ}み{取|と}れます',
  'help.none': '{窓口|まどぐち}にお{問|と}い{合|あ}わせください',
} as const;

/** A key of the kiosk catalogue. */
export type MessageKey = keyof typeof ja;
/** One language's messages: every key, nothing else. */
export type Messages = Readonly<Record<MessageKey, string>>;
