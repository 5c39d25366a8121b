"""Hand-written FAQ content for the bundled sample and the benchmark corpus.

Per language: (site, [(question, answer_html), ...]). Answers use the HTML that
real FAQ markup carries (paragraphs, lists, entities, links).
"""

FAQ = {
    "eng": (
        "shop.example.co.uk",
        [
            (
                "How long does delivery take?",
                "<p>Standard delivery takes <b>3&ndash;5 working days</b> within the UK. Express orders placed before 2pm arrive the next working day.</p>",
            ),
            (
                "Can I return an item I no longer want?",
                "<p>Yes. You can return unused items within 30 days of delivery.</p><ul><li>Print the prepaid label from your account</li><li>Drop the parcel at any post office</li></ul>",
            ),
            (
                "Do you ship to Ireland and the rest of Europe?",
                "We ship to all EU countries and to Norway and Switzerland. Shipping costs are shown at checkout before you pay.",
            ),
            (
                "How do I change the email address on my account?",
                'Sign in, open <a href="/account">My account</a> and choose &quot;Edit profile&quot;. We will send a confirmation link to the new address.',
            ),
            (
                "Which payment methods do you accept?",
                "<p>We accept Visa, Mastercard, American Express, PayPal and bank transfer. Gift cards can be combined with any other method.</p>",
            ),
            (
                "Is my personal data stored securely?",
                "All data is encrypted in transit and at rest. We never sell your details to third parties, and you can ask us to delete your account at any time.",
            ),
            (
                "What happens if my parcel arrives damaged?",
                "<p>Please take a photo of the damage and contact our support team within 48 hours. We will send a replacement or refund you in full.</p>",
            ),
            (
                "Can I order without creating an account?",
                "Yes, guest checkout is available. You only need an email address so that we can send your order confirmation and tracking number.",
            ),
            (
                "Why was my card payment declined?",
                "Payments are usually declined because of a typo in the card number, an expired card or a limit set by your bank. Try again or use another payment method.",
            ),
            (
                "Do you offer gift wrapping?",
                "<p>Gift wrapping is available for most products for &pound;2.50. Tick the box <em>Add gift wrap</em> in your basket and add a personal message.</p>",
            ),
            (
                "How can I track my order?",
                "As soon as your order leaves our warehouse you receive an email with a tracking link. You can also see the status under Orders in your account.",
            ),
            (
                "Are your products covered by a warranty?",
                "All electronic products come with a two-year manufacturer warranty. Keep your receipt, as we need it to process a warranty claim.",
            ),
        ],
    ),
    "deu": (
        "www.beispiel-versand.de",
        [
            (
                "Wie lange dauert der Versand?",
                "<p>Innerhalb Deutschlands liefern wir in der Regel in <strong>2 bis 3 Werktagen</strong>. Bestellungen, die bis 14 Uhr eingehen, verlassen unser Lager noch am selben Tag.</p>",
            ),
            (
                "Kann ich meine Bestellung nachträglich ändern?",
                "Solange die Bestellung noch nicht versendet wurde, können Sie Artikel hinzufügen oder entfernen. Rufen Sie dazu einfach unseren Kundenservice an.",
            ),
            (
                "Welche Zahlungsarten werden akzeptiert?",
                "<ul><li>Rechnung</li><li>Lastschrift</li><li>Kreditkarte</li><li>PayPal</li></ul><p>Die Zahlung per Rechnung ist ab der zweiten Bestellung möglich.</p>",
            ),
            (
                "Wie kann ich einen Artikel zurückschicken?",
                "Sie haben ein Rückgaberecht von 30 Tagen. Legen Sie den beiliegenden Rücksendeschein in das Paket und geben Sie es bei einer Filiale der Deutschen Post ab.",
            ),
            (
                "Fallen für den Versand zusätzliche Kosten an?",
                "Ab einem Bestellwert von 50&nbsp;€ ist der Versand kostenlos. Darunter berechnen wir eine Pauschale von 4,95&nbsp;€ pro Bestellung.",
            ),
            (
                "Liefern Sie auch nach Österreich und in die Schweiz?",
                "Ja, wir liefern in beide Länder. Bei Lieferungen in die Schweiz können zusätzlich Zollgebühren anfallen, die vom Empfänger zu tragen sind.",
            ),
            (
                "Wie setze ich mein Passwort zurück?",
                "Klicken Sie auf der Anmeldeseite auf „Passwort vergessen“. Sie erhalten dann eine E-Mail mit einem Link, über den Sie ein neues Passwort festlegen können.",
            ),
            (
                "Gibt es eine Garantie auf die Produkte?",
                "<p>Auf alle Geräte gewähren wir zwei Jahre Garantie. Bitte bewahren Sie die Rechnung auf, da sie als Nachweis benötigt wird.</p>",
            ),
            (
                "Was passiert, wenn ein Artikel nicht vorrätig ist?",
                "Nicht vorrätige Artikel können Sie vorbestellen. Wir informieren Sie per E-Mail, sobald die Ware wieder eingetroffen ist und versendet wird.",
            ),
            (
                "Kann ich einen Gutschein mit anderen Rabatten kombinieren?",
                "Pro Bestellung kann nur ein Gutscheincode eingelöst werden. Reduzierte Artikel sind von Gutscheinaktionen in der Regel ausgenommen.",
            ),
            (
                "Wie erreiche ich den Kundenservice?",
                "Unser Kundenservice ist montags bis freitags von 8 bis 18 Uhr telefonisch und jederzeit per E-Mail oder über das Kontaktformular erreichbar.",
            ),
            (
                "Werden meine Daten an Dritte weitergegeben?",
                "Ihre Daten werden ausschließlich zur Abwicklung Ihrer Bestellung verwendet und nur an den beauftragten Versanddienstleister übermittelt.",
            ),
        ],
    ),
    "fra": (
        "boutique.exemple.fr",
        [
            (
                "Quels sont les délais de livraison ?",
                "<p>Les commandes sont livrées en <b>48 à 72 heures</b> en France métropolitaine. Pour la Corse et les DOM, comptez une semaine.</p>",
            ),
            (
                "Comment puis-je retourner un article ?",
                "Vous disposez de 30 jours pour nous retourner un article. Imprimez l&#39;étiquette de retour depuis votre espace client et déposez le colis en point relais.",
            ),
            (
                "Quels moyens de paiement acceptez-vous ?",
                "Nous acceptons la carte bancaire, PayPal, le virement et le paiement en trois fois sans frais à partir de 150 euros d&rsquo;achat.",
            ),
            (
                "Puis-je modifier ma commande après validation ?",
                "Tant que la commande n&#39;a pas été expédiée, notre service client peut la modifier. Contactez-nous rapidement par téléphone ou par courriel.",
            ),
            (
                "La livraison est-elle gratuite ?",
                "<p>La livraison est offerte dès 49&nbsp;€ d&rsquo;achat. En dessous, des frais de 3,90&nbsp;€ s&rsquo;appliquent.</p>",
            ),
            (
                "Livrez-vous en Belgique et en Suisse ?",
                "Oui, nous livrons en Belgique, au Luxembourg et en Suisse. Les frais de port et les éventuels droits de douane sont indiqués avant le paiement.",
            ),
            (
                "Comment suivre mon colis ?",
                "Dès l&#39;expédition, vous recevez un courriel contenant un lien de suivi. Vous pouvez également consulter l&#39;état de votre commande dans votre compte.",
            ),
            (
                "Mes données personnelles sont-elles protégées ?",
                "Vos données sont chiffrées et ne sont jamais revendues. Conformément au RGPD, vous pouvez demander leur suppression à tout moment.",
            ),
            (
                "Que faire si mon colis est endommagé ?",
                "Refusez le colis ou émettez des réserves auprès du transporteur, puis contactez-nous sous 48 heures avec des photos. Nous vous renverrons un produit neuf.",
            ),
            (
                "Les produits sont-ils garantis ?",
                "Tous nos produits bénéficient de la garantie légale de conformité de deux ans ainsi que de la garantie contre les vices cachés.",
            ),
            (
                "Puis-je commander sans créer de compte ?",
                "Oui, la commande en tant qu&#39;invité est possible. Une adresse électronique suffit pour recevoir la confirmation et le suivi.",
            ),
            (
                "Proposez-vous des cartes cadeaux ?",
                "<p>Nos cartes cadeaux sont disponibles de 10 à 200 euros et sont valables un an dans toutes nos boutiques et sur le site.</p>",
            ),
        ],
    ),
    "spa": (
        "www.tienda-ejemplo.es",
        [
            (
                "¿Cuánto tarda el envío?",
                "<p>Los pedidos se entregan en un plazo de <b>24 a 48 horas</b> en la península. Para Baleares y Canarias el plazo es de cuatro a seis días laborables.</p>",
            ),
            (
                "¿Cómo puedo devolver un producto?",
                "Tienes 30 días para devolver cualquier artículo sin usar. Solicita la devolución desde tu cuenta y un mensajero pasará a recogerlo.",
            ),
            (
                "¿Qué formas de pago aceptan?",
                "Aceptamos tarjeta de crédito o débito, PayPal, Bizum y transferencia bancaria. El cargo se realiza en el momento de confirmar el pedido.",
            ),
            (
                "¿Puedo cambiar la dirección de entrega?",
                "Puedes cambiar la dirección mientras el pedido no haya salido del almacén. Escríbenos indicando el número de pedido y la nueva dirección.",
            ),
            (
                "¿El envío tiene algún coste?",
                "<p>El envío es gratuito en pedidos superiores a 40&nbsp;€. Para importes menores se cobran 3,95&nbsp;€ de gastos de envío.</p>",
            ),
            (
                "¿Hacen envíos a Portugal?",
                "Sí, enviamos a Portugal continental y a las islas. El plazo de entrega habitual es de tres a cinco días laborables.",
            ),
            (
                "¿Cómo recupero mi contraseña?",
                "En la página de inicio de sesión pulsa en «He olvidado mi contraseña» y te enviaremos un correo con las instrucciones para crear una nueva.",
            ),
            (
                "¿Los productos tienen garantía?",
                "Todos los productos tienen una garantía de tres años según la legislación vigente. Conserva el ticket o la factura de compra.",
            ),
            (
                "¿Qué hago si el pedido llega incompleto?",
                "Ponte en contacto con atención al cliente en un plazo de 48 horas y te enviaremos los artículos que falten sin ningún coste adicional.",
            ),
            (
                "¿Puedo usar varios códigos de descuento?",
                "Solo se puede aplicar un código de descuento por pedido, y no es acumulable con otras promociones vigentes en la tienda.",
            ),
            (
                "¿Tienen tiendas físicas?",
                "<p>Contamos con tiendas en Madrid, Barcelona, Valencia y Sevilla. Puedes consultar los horarios y direcciones en nuestra web.</p>",
            ),
            (
                "¿Es seguro pagar en la web?",
                "Todos los pagos se procesan mediante una pasarela segura con cifrado y autenticación reforzada, y nunca almacenamos los datos de tu tarjeta.",
            ),
        ],
    ),
    "ita": (
        "negozio.esempio.it",
        [
            (
                "Quanto tempo richiede la spedizione?",
                "<p>Le spedizioni in Italia arrivano in <b>2-4 giorni lavorativi</b>. Per le isole possono servire uno o due giorni in più.</p>",
            ),
            (
                "Come posso restituire un prodotto?",
                "Hai 30 giorni di tempo per il reso. Compila il modulo nella tua area personale e consegna il pacco al corriere che passerà a ritirarlo.",
            ),
            (
                "Quali metodi di pagamento accettate?",
                "Accettiamo carte di credito, PayPal, Satispay e bonifico bancario. Il pagamento in contrassegno è disponibile con un piccolo supplemento.",
            ),
            (
                "Posso modificare un ordine già effettuato?",
                "Puoi modificare l&#39;ordine finché non è stato spedito. Contatta il servizio clienti indicando il numero dell&#39;ordine.",
            ),
            (
                "La spedizione è gratuita?",
                "<p>La spedizione è gratuita per ordini superiori a 39&nbsp;€. Sotto questa soglia il costo è di 4,90&nbsp;€.</p>",
            ),
            (
                "Spedite anche all&#39;estero?",
                "Sì, spediamo in tutta l&#39;Unione Europea e in Svizzera. I costi di spedizione vengono calcolati al momento del pagamento.",
            ),
            (
                "Come posso seguire la mia spedizione?",
                "Quando l&#39;ordine parte ricevi un&#39;email con il codice di tracciamento. Puoi seguire il pacco anche dalla sezione Ordini del tuo profilo.",
            ),
            (
                "I prodotti sono coperti da garanzia?",
                "Tutti i prodotti hanno la garanzia legale di due anni. Conserva lo scontrino o la fattura, che ti verranno richiesti in caso di assistenza.",
            ),
            (
                "Cosa devo fare se il pacco arriva danneggiato?",
                "Accetta il pacco con riserva e scrivici entro 48 ore allegando alcune fotografie. Provvederemo alla sostituzione del prodotto.",
            ),
            (
                "Posso ordinare senza registrarmi?",
                "Sì, puoi completare l&#39;acquisto come ospite inserendo solo un indirizzo email per ricevere la conferma e il tracciamento.",
            ),
            (
                "Come contatto l&#39;assistenza clienti?",
                "Il nostro servizio clienti risponde dal lunedì al venerdì dalle 9 alle 18 per telefono, via email e tramite chat sul sito.",
            ),
            (
                "I miei dati personali sono al sicuro?",
                "Trattiamo i tuoi dati nel rispetto del GDPR, li proteggiamo con la crittografia e non li cediamo mai a terzi per scopi commerciali.",
            ),
        ],
    ),
    "por": (
        "loja.exemplo.com.br",
        [
            (
                "Qual é o prazo de entrega?",
                "<p>O prazo de entrega varia de <b>3 a 7 dias úteis</b>, de acordo com a região. Você pode simular o prazo na página do produto.</p>",
            ),
            (
                "Como faço para trocar um produto?",
                "Você tem até 30 dias após o recebimento para solicitar a troca. Acesse Meus pedidos, escolha o item e siga as instruções na tela.",
            ),
            (
                "Quais são as formas de pagamento?",
                "Aceitamos cartão de crédito em até dez vezes sem juros, boleto bancário e Pix. Pagamentos via Pix são aprovados na hora.",
            ),
            (
                "Posso cancelar meu pedido?",
                "O cancelamento pode ser feito enquanto o pedido não tiver sido enviado. Depois disso, basta recusar a entrega ou solicitar a devolução.",
            ),
            (
                "O frete é grátis?",
                "<p>O frete é grátis para compras acima de R$&nbsp;199 nas regiões Sul e Sudeste. Para as demais regiões, o valor aparece no carrinho.</p>",
            ),
            (
                "Como acompanho a entrega do meu pedido?",
                "Assim que o pedido for despachado, enviaremos o código de rastreamento por e-mail. Você também pode acompanhar pelo aplicativo.",
            ),
            (
                "Os produtos têm garantia?",
                "Todos os produtos têm garantia de 90 dias prevista no Código de Defesa do Consumidor, além da garantia estendida do fabricante.",
            ),
            (
                "Esqueci minha senha, o que faço?",
                "Clique em Esqueci minha senha na tela de login e informe seu e-mail. Você receberá um link para cadastrar uma nova senha.",
            ),
            (
                "Vocês entregam em todo o Brasil?",
                "Sim, entregamos em todos os estados brasileiros. Para algumas cidades do interior, o prazo pode ser um pouco maior.",
            ),
            (
                "O que faço se o produto chegar com defeito?",
                "Entre em contato com nosso atendimento em até sete dias. Faremos a coleta do produto e enviaremos outro sem custo adicional.",
            ),
            (
                "Posso retirar o pedido na loja?",
                "<p>Sim, escolha a opção Retirar na loja ao finalizar a compra. O pedido fica disponível em até dois dias úteis.</p>",
            ),
            (
                "Meus dados estão protegidos?",
                "Seguimos a Lei Geral de Proteção de Dados e utilizamos criptografia em todas as etapas. Seus dados nunca são vendidos a terceiros.",
            ),
        ],
    ),
    "nld": (
        "www.voorbeeldwinkel.nl",
        [
            (
                "Hoe lang duurt de levering?",
                "<p>Bestellingen die voor 22.00 uur zijn geplaatst, worden <b>de volgende werkdag</b> bezorgd. In het weekend bezorgen we niet.</p>",
            ),
            (
                "Kan ik mijn bestelling retourneren?",
                "Je kunt artikelen binnen 30 dagen kosteloos retourneren. Meld de retour aan via je account en breng het pakket naar een afgiftepunt.",
            ),
            (
                "Welke betaalmethoden kan ik gebruiken?",
                "Je kunt betalen met iDEAL, creditcard, PayPal en achteraf betalen. Bij achteraf betalen heb je veertien dagen de tijd.",
            ),
            (
                "Zijn er verzendkosten?",
                "<p>Boven de 25&nbsp;euro verzenden we gratis. Voor kleinere bestellingen rekenen we 3,95&nbsp;euro verzendkosten.</p>",
            ),
            (
                "Leveren jullie ook in België?",
                "Ja, we leveren in heel België. De levertijd is daar meestal twee werkdagen en de verzendkosten zijn hetzelfde als in Nederland.",
            ),
            (
                "Hoe kan ik mijn bestelling volgen?",
                "Zodra je pakket onderweg is, ontvang je een e-mail met een track-and-tracecode waarmee je de bezorging kunt volgen.",
            ),
            (
                "Wat moet ik doen als mijn pakket beschadigd is?",
                "Maak een foto van de schade en neem binnen twee dagen contact op met onze klantenservice. We sturen dan zo snel mogelijk een nieuw exemplaar.",
            ),
            (
                "Hoe wijzig ik mijn wachtwoord?",
                "Log in op je account, ga naar Instellingen en kies Wachtwoord wijzigen. Je nieuwe wachtwoord moet minimaal tien tekens bevatten.",
            ),
            (
                "Hebben de producten garantie?",
                "Op alle elektronica geldt minimaal twee jaar garantie. Bewaar je factuur goed, want die heb je nodig bij een garantieaanvraag.",
            ),
            (
                "Kan ik een cadeaubon gebruiken?",
                "Cadeaubonnen kun je in de laatste stap van het bestelproces invullen. Een eventueel restbedrag blijft op de bon staan.",
            ),
            (
                "Hoe bereik ik de klantenservice?",
                "Onze klantenservice is elke werkdag bereikbaar van 9.00 tot 17.30 uur via telefoon, e-mail en WhatsApp.",
            ),
            (
                "Wat gebeurt er met mijn persoonsgegevens?",
                "We gebruiken je gegevens alleen om je bestelling af te handelen en delen ze nooit met andere partijen voor reclamedoeleinden.",
            ),
        ],
    ),
    "pol": (
        "sklep.przyklad.pl",
        [
            (
                "Ile trwa dostawa?",
                "<p>Zamówienia dostarczamy w ciągu <b>1–3 dni roboczych</b>. Paczki nadane w piątek docierają zwykle w poniedziałek.</p>",
            ),
            (
                "Jak mogę zwrócić towar?",
                "Masz 30 dni na zwrot towaru bez podania przyczyny. Wypełnij formularz zwrotu w swoim koncie i nadaj paczkę w punkcie odbioru.",
            ),
            (
                "Jakie formy płatności są dostępne?",
                "Możesz zapłacić kartą, przelewem, BLIKIEM lub za pobraniem. Płatności online są księgowane natychmiast po ich realizacji.",
            ),
            (
                "Czy dostawa jest darmowa?",
                "<p>Dostawa jest bezpłatna dla zamówień powyżej 150&nbsp;zł. Poniżej tej kwoty koszt wysyłki wynosi 12,99&nbsp;zł.</p>",
            ),
            (
                "Czy mogę zmienić adres dostawy?",
                "Adres dostawy można zmienić, dopóki paczka nie została nadana. Skontaktuj się z obsługą klienta i podaj numer zamówienia.",
            ),
            (
                "Jak śledzić przesyłkę?",
                "Po wysłaniu zamówienia otrzymasz wiadomość e-mail z numerem przesyłki, dzięki któremu sprawdzisz, gdzie znajduje się paczka.",
            ),
            (
                "Czy produkty objęte są gwarancją?",
                "Wszystkie produkty objęte są dwuletnią gwarancją producenta. Zachowaj paragon lub fakturę, ponieważ będą potrzebne przy reklamacji.",
            ),
            (
                "Co zrobić, gdy paczka dotrze uszkodzona?",
                "Sporządź protokół szkody w obecności kuriera i skontaktuj się z nami w ciągu dwóch dni. Wyślemy nowy produkt bez dodatkowych kosztów.",
            ),
            (
                "Jak zresetować hasło?",
                "Na stronie logowania kliknij Nie pamiętam hasła i wpisz swój adres e-mail. Otrzymasz link do ustawienia nowego hasła.",
            ),
            (
                "Czy wysyłacie za granicę?",
                "Tak, wysyłamy do wszystkich krajów Unii Europejskiej. Koszt i czas dostawy zależą od kraju i są widoczne w koszyku.",
            ),
            (
                "Czy mogę zamówić bez zakładania konta?",
                "Tak, zakupy możesz zrobić jako gość. Wystarczy podać adres e-mail, na który wyślemy potwierdzenie zamówienia.",
            ),
            (
                "Jak skontaktować się z obsługą klienta?",
                "Nasi konsultanci są dostępni od poniedziałku do piątku w godzinach od 8 do 20 pod numerem telefonu oraz przez czat na stronie.",
            ),
        ],
    ),
    "rus": (
        "magazin.primer.ru",
        [
            (
                "Сколько времени занимает доставка?",
                "<p>Доставка по Москве занимает <b>1–2 дня</b>, по России — от трёх до семи рабочих дней в зависимости от региона.</p>",
            ),
            (
                "Как вернуть товар?",
                "Вы можете вернуть товар надлежащего качества в течение 14 дней. Оформите возврат в личном кабинете и отнесите посылку в пункт выдачи.",
            ),
            (
                "Какие способы оплаты вы принимаете?",
                "Мы принимаем банковские карты, оплату через СБП, а также наличные или карту курьеру при получении заказа.",
            ),
            (
                "Сколько стоит доставка?",
                "<p>При заказе от 3000&nbsp;рублей доставка бесплатная. Для заказов меньшей суммы стоимость рассчитывается при оформлении.</p>",
            ),
            (
                "Можно ли изменить заказ после оформления?",
                "Изменить состав заказа можно до момента его отправки. Для этого позвоните в службу поддержки и назовите номер заказа.",
            ),
            (
                "Как отследить посылку?",
                "После отправки заказа мы пришлём письмо с трек-номером, по которому можно отследить посылку на сайте службы доставки.",
            ),
            (
                "Есть ли гарантия на товары?",
                "На всю технику действует гарантия производителя не менее одного года. Сохраните чек, он понадобится при обращении в сервисный центр.",
            ),
            (
                "Что делать, если товар пришёл повреждённым?",
                "Сфотографируйте повреждения и свяжитесь с нами в течение двух дней. Мы заменим товар или вернём деньги.",
            ),
            (
                "Как восстановить пароль?",
                "Нажмите «Забыли пароль?» на странице входа и введите адрес электронной почты. Мы отправим ссылку для создания нового пароля.",
            ),
            (
                "Вы доставляете в другие страны?",
                "Да, мы доставляем в Казахстан, Беларусь и Армению. Сроки и стоимость доставки зависят от страны получателя.",
            ),
            (
                "Можно ли забрать заказ самостоятельно?",
                "Да, выберите самовывоз при оформлении. Заказ будет ждать вас в пункте выдачи в течение семи дней.",
            ),
            (
                "Как связаться со службой поддержки?",
                "Служба поддержки работает ежедневно с девяти утра до девяти вечера по телефону, электронной почте и в чате на сайте.",
            ),
        ],
    ),
    "jpn": (
        "www.rei-shop.jp",
        [
            (
                "配送にはどのくらいかかりますか？",
                "<p>通常、ご注文から<b>2〜3営業日</b>でお届けします。離島など一部地域では、さらに日数がかかる場合がございます。</p>",
            ),
            (
                "商品を返品することはできますか？",
                "商品到着後30日以内であれば、未使用の商品に限り返品を承ります。マイページから返品のお手続きをしてください。",
            ),
            (
                "支払い方法は何がありますか？",
                "クレジットカード、コンビニ払い、銀行振込、代金引換がご利用いただけます。代金引換には別途手数料がかかります。",
            ),
            (
                "送料はいくらですか？",
                "<p>5,000円以上のご注文で送料無料となります。それ未満の場合は全国一律550円の送料を頂戴しております。</p>",
            ),
            (
                "注文内容を変更できますか？",
                "発送前であれば、注文内容の変更が可能です。お手数ですが、注文番号を添えてカスタマーサポートまでご連絡ください。",
            ),
            (
                "配送状況を確認する方法を教えてください。",
                "商品の発送後、お問い合わせ番号を記載したメールをお送りします。配送業者のサイトで配送状況をご確認いただけます。",
            ),
            (
                "商品に保証はありますか？",
                "すべての電化製品にメーカー保証が一年間付いております。保証を受ける際には納品書が必要ですので、大切に保管してください。",
            ),
            (
                "届いた商品が破損していた場合はどうすればいいですか？",
                "大変お手数ですが、破損箇所の写真を撮影のうえ、到着後二日以内にご連絡ください。新しい商品と交換いたします。",
            ),
            (
                "パスワードを忘れてしまいました。",
                "ログイン画面の「パスワードをお忘れの方」をクリックし、登録済みのメールアドレスを入力してください。再設定用のリンクをお送りします。",
            ),
            (
                "海外への発送は行っていますか？",
                "申し訳ございませんが、現在は日本国内への配送のみ承っております。海外発送は今後の対応を検討しております。",
            ),
            (
                "会員登録をしなくても購入できますか？",
                "はい、ゲストとしてご購入いただけます。ただし、会員登録をするとポイントが貯まり、注文履歴も確認できます。",
            ),
            (
                "問い合わせ窓口の営業時間を教えてください。",
                "カスタマーサポートは平日の午前10時から午後6時まで、お電話とメールでお問い合わせを受け付けております。",
            ),
        ],
    ),
}
