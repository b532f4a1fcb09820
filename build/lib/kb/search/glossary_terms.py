# ruff: noqa: E501  (one glossary concept per line reads better than wrapped cells)
"""The domain glossary: PED terms in pl, hu, sk, lv, da, pt, es, nl mapped to the English words the records use.

Hand-written by the project from general dictionaries and the energy vocabulary of each language (not copied from
the records' ``keywords:`` lists, and not from the benchmark queries' phrasings). One row per concept:
``english | pl | hu | sk | lv | da | pt | es | nl``. Within a cell, variants are separated by ``,``; a trailing ``*``
matches any word starting with it (inflected forms: ``magazyn*`` matches ``magazynowanie``, ``magazynu``); words
separated by spaces must appear next to each other; ``-`` means no entry. Matching ignores case and diacritics.
"""

from __future__ import annotations

LANGS: tuple[str, ...] = ("pl", "hu", "sk", "lv", "da", "pt", "es", "nl")

TABLE = """
battery storage | akumulator*, bateri* | akkumulátor*, akku*, akkumul* | batéri*, akumulátor* | akumulator*, baterij* | batteri* | bateria*, baterias | batería*, bateria* | batterij*, accu*, buurtbatterij*
storage | magazyn*, przechow* | tárol*, tároló* | uskladn*, ukladan*, zásobník* | uzglabā*, uzkrā*, krātuv* | lagring*, lagre*, lagret | armazen* | almacen* | opslag*, opslaan, opgeslagen
surplus | nadwyż*, nadmiar* | többlet* | prebyt* | pārpalikum* | overskud*, overskyd* | excedent*, excesso | excedent*, sobrante* | overschot*, overtollig*
solar | słoneczn*, fotowolta* | napenerg*, napelem*, nap, napos | solárn*, slnečn*, fotovolt* | saules, solār* | sol, solenergi*, solceller*, solcelle*, solstrøm* | solar*, fotovolta* | solar*, fotovolta* | zonne*, zon, zonnepane*, zonnestroom*
panels | panel*, panele | panel* | panel* | panel*, paneļ* | panel* | painé*, painel | panel*, placas solares | paneel*, panelen
electricity | prąd*, elektryczn*, elektroenerg* | áram*, villamos* | elektrin*, elektric* | elektroenerģij*, elektrīb*, elektrisk* | strøm*, el, elektricitet* | eletricidade*, electricidade*, elétric*, eléctric* | electricidad*, eléctric* | stroom*, elektriciteit*, elektrisch*
energy | energi*, energetycz* | energi*, energetik* | energi*, energet* | enerģij*, enerģēt* | energi* | energia*, energét* | energía*, energét* | energie*
heat | ciepł*, ogrzew*, grzew* | hő, hőt, hővel, fűt* | tepl*, vykur* | siltum*, apkur* | varme*, opvarm* | calor, aquecimento*, aquecer | calor*, calefac* | warmte*, verwarm*
heat pump | pompa ciepła, pompy ciepła, pompą ciepła | hőszivattyú* | tepelné čerpadlo, tepelného čerpadla, tepelných čerpadiel | siltumsūkn* | varmepump* | bomba de calor, bombas de calor | bomba de calor, bombas de calor | warmtepomp*
pump | pomp* | szivattyú* | čerpad* | sūkn* | pumpe* | bomba* | bomba* | pomp*
water | wod*, woda | víz*, viz* | vod*, voda | ūdens, ūdeņ* | vand | água*, agua* | agua* | water*
canal surface water | kanał*, kanal* | csatorn* | kanál* | kanāl* | kanal* | canal*, canais | canal*, canales | gracht*, kanaal*, kanalen, oppervlaktewater*, aquathermie*
sewage wastewater | ściek*, kanalizac* | szennyvíz* | odpadov*, splašk*, kanalizác* | notekūd*, kanalizāc* | spildevand*, kloak* | residua*, esgoto* | residual*, residuales, alcantarill* | rioolwater*, riool*, afvalwater*
heat recovery | odzysk*, rekuperac* | visszanyer*, hővisszanyer* | spätné získavanie, rekuper* | atgūšan*, atgūt*, rekuper* | genvind*, varmegenvind* | recupera* | recupera* | terugwin*, warmteterugwin*
renovation insulation retrofit | ociepl*, termomoderniz*, izolac*, remont*, renowac*, moderniz* | szigetel*, hőszigetel*, felújít*, korszerűsít* | zatepl*, obnov*, rekonštruk*, izolác* | siltināš*, siltinā*, renovāc*, renovē* | isoler*, efterisoler*, renover* | isolamento*, isolar, reabilita*, renova* | aislamiento*, aislar, rehabilita*, renovac*, reforma* | isol*, na-isolatie, renovat*, renover*
homes buildings housing | budyn*, blok*, bloków, mieszkan*, domów, domy, dom, domu | ház*, panelház*, lakás*, épület* | budov*, dom*, domov, byt*, panelák* | mājas, māju, māja, ēka, ēkas, ēku, ēkām, daudzdzīvokļu, dzīvokļ* | bolig*, bygning*, hus, huse, lejlighed* | edifício*, edificio*, prédio*, casa*, habitaç*, moradia* | edificio*, vivienda*, casa*, piso* | flat*, woning*, huis, huizen, gebouw*
old existing | stary*, starych, starego, stare, istniejąc* | régi, meglévő* | star*, existujúc* | vec*, esoš* | gaml*, gammel*, eksisterende | antig*, existente* | antigu*, existente* | oud*, oude, bestaand*
demand consumption | zużyc*, zapotrzebowan* | igény*, fogyaszt* | spotreb* | patēriņ*, pieprasījum* | forbrug*, behov* | consumo*, procura | consumo*, demanda* | verbruik*, vraag
reduce savings | zmniejsz*, ogranicz*, oszczędz* | csökkent*, megtakarít* | zníž*, úspor* | samazin*, ietaupīj* | spar*, reducer*, besparels* | reduz*, poupança*, poupar | reduc*, ahorr* | verlag*, verminder*, besparing*, besparen
charging points | ładowa*, ładowar*, ładowan* | töltő*, töltés*, töltőállomás* | nabíj* | uzlād* | lade*, ladestander*, ladestation*, opladning* | carregament* | recarga*, carga | laad*, oplaad*, laadpa*
station | stacj*, punkt* | állomás* | stanic* | stacij*, punkt* | stander*, station* | posto*, ponto* | punto*, estacion*, estación* | palen, paal, punt*, station*
electric cars vehicles | samochod*, samochód, auto, auta, aut, elektromobil* | autó*, gépkocsi* | autá, auto, auta, áut, elektromobil* | auto, automašīn*, elektroauto*, transportlīdzekļ* | bil, biler, bilen, bilerne, elbil* | carro*, automóve*, automove*, veícul* | coche*, vehícul* | auto, auto's, autos, wagen*
shared car sharing | współdziel*, współdzielon* | megoszt*, autómegoszt* | zdieľan*, zdieľa* | koplietoš* | delebil*, deling*, dele | partilh*, compartilh* | compartid*, compart* | deelauto*, deel, gedeeld*, delen
green | zielon* | zöld* | zelen* | zaļ* | grøn*, grønne | verde* | verde* | groen*
roof | dach*, dachy | tető*, tetők, tetőkert* | strech* | jumt* | tag, tage, taget, tagene | cobertura*, telhado* | cubierta*, tejado* | dak, daken, dakt*
green roof | - | zöldtető* | - | - | - | - | - | -
rain rainwater | deszcz* | eső*, esővíz* | dažď* | lietus | regn*, regnvand* | chuva* | lluvia* | regen*, regenwater*
retention | zatrzym*, retenc* | visszatart* | zadrž* | aizturē*, aizturēš* | tilbagehold* | retê*, retenç*, reter | retien*, retenc*, retener | vasthoud*, vasthouden, berging
facade | elewac*, fasad* | homlokzat* | fasád* | fasād* | facade* | fachada* | fachada* | gevel*
building-integrated | zintegrowan*, integr* | beépít*, épített | integr* | iebūvēt*, integrēt* | integrer* | integrad* | integrad* | geïntegreerd*, integr*
ground geothermal | grunt*, geoterm* | föld, földhő*, földhőszond*, geoterm* | zem, zeme, zemné, zemného, geoterm* | zemes, ģeoterm* | jord*, jordvarme*, geoterm* | solo, geotérm*, geoterm* | suelo, geotérm*, geoterm* | bodem*, geotherm*
boreholes wells | odwiert* | szond*, fúr*, kút*, kutak* | vrt*, vrty | urbum* | boring*, boringer | furo*, sondag* | sondeo*, pozo* | boring*, boringen, bron*
trading selling | sprzeda*, handl*, handel* | kereskedel*, áramkereskedel*, elad* | obchod*, predaj* | tirdzniecīb*, pārdo* | handl*, handel*, sælg* | vend*, comércio*, comerci* | compraventa*, vend*, comerci* | verhandel*, handel*, verkop*, verkoopt
peer-to-peer neighbours | sąsiad* | szomszéd* | sused* | kaimiņ* | nabo*, naboer | vizinh* | vecin* | buren, buur*
grid | sieć, sieci, sieciow* | hálózat*, hálózati | sieť*, siete, sietí | tīkl*, tīkla | net, nettet, elnet*, elnettet | rede, redes | red, redes | net, stroomnet*, elektriciteitsnet*
grid operator | operator sieci, operatora sieci, osd | elosztó*, szolgáltató* | prevádzkovateľ*, distribuč* | sadales, operator* | netselskab*, operatør* | operador*, distribuidor* | distribuidor*, operador* | netbeheer*, beheerder*
connection | przyłącz*, podłącz*, połącz* | csatlakoz*, bekötés* | pripoj* | pieslēg* | tilslut* | ligação, ligações, conexão, conexões | conexi*, acometid* | aansluit*, aansluiting*
refused rejected | odmów*, odmow*, odrzuc* | elutasít*, megtagad* | odmiet*, zamiet* | atteic*, atteik*, atraid* | afvis*, afslag*, afvist | recus* | deneg*, rechaz* | weiger*, afgewezen, afwijz*
aquifer thermal energy storage | wodonośn* | víztartó* | zvodnen* | ūdens slān*, ūdensnes* | grundvand* | aquífer*, aquifer* | acuífer* | wko, warmte-koudeopslag, bodemenergie*, grondwater*, koudeopslag
underground | podziem* | föld alatti, felszín alatti | podzem* | pazem* | undergrund*, jorden | subterrâne*, subsolo | subterráne*, subsuelo | ondergronds*, ondergrond
seasonal summer | lato, latem, letni*, sezon* | nyár*, nyári | letn*, leto, sezón* | vasar* | sommer* | verão, sazona* | verano*, estaciona* | zomer*, seizoen*
winter | zim*, zimą | tél, télen, télre, téli | zim* | ziem* | vinter* | inverno* | invierno* | winter*
cooling | chłodz*, chłodzen* | hűt* | chlad* | dzesē*, dzesēš* | køl* | arrefec*, refrigera* | refrigera*, frío | koel*, koude*
residents citizens | mieszkańc*, obywatel* | lakó, lakók, lakos*, lakóit, polgár* | obyvateľ*, občan* | iedzīvotāj* | beboer*, borger* | morador*, residente*, cidadã* | residente*, ciudadan* | bewoner*, burger*
engagement participation | zaangażow*, angażow*, partycyp*, udział* | bevon*, részvét* | zapoj*, participác* | iesaist*, līdzdalīb* | inddrag*, deltag* | envolv*, particip* | particip*, implica* | betrek*, particip*, inspraak
elderly | starsz*, senior*, emeryt* | idős* | starš*, senior* | vecāka gadagājuma, vecākā gadagājuma, senior*, pensionār* | ældre, pensionist* | idos* | mayores, ancian* | ouder*, oudere, senior*
low income | dochod*, ubog* | jövedelm*, szegény* | príjm* | ienākum*, trūcīg* | indkomst* | rendiment*, rendimentos | renta*, ingreso* | inkomen*
district heating | ciepłown*, ciepłownicz* | távfűtés*, távhő* | diaľkov*, centrálne zásobovanie teplom, teplár*, výhrevň* | siltumapgād*, centralizēt* | fjernvarme* | aquecimento urbano, rede de calor | calefacción urbana, calefacción de distrito, red de calor | stadsverwarming*, warmtenet*
gas | gaz, gazu, gazow*, gazem | gáz*, gáztüzelés* | plyn* | gāz* | gas, gassen, gasfyr* | gás | gas | gas, gasgestookt*
abandoned dropped | zrezygnow*, rezygnac*, porzuc*, zarzuc* | lemond*, mondtak le, mondott le, feladt*, elvet* | upust*, upustilo, zrušen*, opusten* | atteicās, atmest*, atmet* | droppe*, droppet, opgiv*, skrinlag* | abandon* | abandon*, descart* | geschrapt*, schrap*, stopgezet, afgebl*
plant | elektrown* | erőmű* | elektrár*, teplár* | katlumāj*, elektrostacij* | værk* | central, centrais | central, centrales | centrale*
cost price | koszt*, cen* | költség*, ár, ára, árak | náklad*, cen* | izmaks*, cen* | omkostning*, pris*, udgift* | custo*, preço* | coste*, costo*, precio* | kosten, kost, prijs*
financing subsidy loan | finansow*, dotac*, kredyt*, dofinansow* | finansz*, támogatás*, hitel* | financov*, dotác*, úver* | finansē*, subsīdij*, aizdevum* | finansier*, tilskud*, lån | financia*, subsídio*, empréstimo* | financia*, subvenc*, préstamo* | financier*, subsidie*, lening*
permit licence regulation | pozwoleni*, licencj*, przepis*, prawn* | engedély*, szabályoz* | povolen*, licenc*, predpis* | atļauj*, licenc*, noteikum* | tilladelse*, regler, regulering*, lovgivning* | licença*, licenciamento*, regulament* | licencia*, permiso*, normativa* | vergunning*, regelgeving*
experimental | eksperyment* | kísérlet* | experiment* | eksperiment* | forsøg*, eksperiment* | experiment* | experiment* | experiment*, proef*
microgrid smart grid | mikrosie*, inteligentn* | mikrohálózat*, okos* | mikrosie*, inteligentn* | mikrotīkl*, vied* | mikronet*, intelligent* | microrrede*, inteligente* | microrred*, inteligente* | slim*, microgrid*
energy management | zarządzan* | menedzsment*, irányít* | riaden*, manažment* | pārvaldīb*, vadīb* | styring*, energistyring* | gestão | gestión | beheer*, energiebeheer*
community cooperative | społecznoś*, spółdziel* | közösség*, szövetkezet* | komunit*, spoločenstv*, družstv* | kopien*, kooperatīv* | fællesskab*, andels*, fælles* | comunidade*, cooperativ* | comunidad*, cooperativ* | gemeenschap*, coöperatie*
transport mobility | transport*, komunikac*, mobilnoś* | közlekedés*, mobilit* | doprav*, mobilit* | transport*, mobilitāt* | transport*, mobilitet* | transporte*, mobilidade* | transporte*, movilidad* | vervoer*, mobiliteit*
bus | autobus* | busz* | autobus* | autobus* | bus, busser | autocarro*, ónibus | autobús*, autobus* | bus, bussen
zero-emission emissions | bezemisyj*, zeroemisyj*, emisj* | kibocsátásmentes*, kibocsát* | bezemisn*, emisi*, emisn* | bezizmeš*, emisij*, izmeš* | emissionsfri*, emission*, udledning* | emissõ*, emiss* | emision*, emisión* | uitstootvrij*, uitstoot*, emissie*
timber wood | drewn*, drewnian* | fa, faszerkezet*, fából | drev* | koka, koks, koku | træ, træbyg* | madeira* | madera* | hout*
prefabricated modular | prefabryk*, moduł* | előregyártott*, modul* | prefabrik*, modul* | saliekam*, modul* | præfabrik*, modul* | pré-fabric*, prefabric*, modular* | prefabric*, modular* | prefab*, modul*
vacuum toilets | toalet*, próżni* | vákuum*, wc | vákuov*, toalet* | vakuum*, tualet* | vakuum*, toilet* | vácuo, sanita* | vacío, inodoro* | vacuüm*, toilet*, wc
biogas | biogaz* | biogáz* | bioplyn* | biogāz* | biogas* | biogás | biogás | biogas*
greywater reuse | szar*, ponowne wykorzystanie | szürkevíz*, újrahasznosít* | siv*, opätovn* | pelēk*, atkārtot* | gråvand*, genbrug* | cinzent*, reutiliza* | gris*, reutiliza* | grijswater*, grijs*, hergebruik*
district neighbourhood | dzielnic*, osiedl* | kerület*, negyed*, lakótelep* | štvrť*, sídlisk* | rajon*, apkaim* | bydel*, kvarter* | bairro* | barrio*, distrito* | wijk*, buurt*
positive | pozytywn*, dodatni* | pozitív* | pozitívn* | pozitīv* | positiv* | positiv* | positiv* | positief, positieve
problems barriers | problem*, barier*, przeszkod* | probléma*, akadály* | problém*, prekážk*, bariér* | problēm*, šķērsl*, barjer* | problem*, barrier*, forhindring* | problema*, barreira*, obstácul* | problema*, barrera*, obstácul* | probleem*, problemen, barrière*, obstakel*
delay late | opóźni* | késés*, késett, késve | oneskor* | kavēj*, nokavē* | forsink* | atraso*, atrasad* | retraso*, retrasad* | vertraging*, vertraagd
lessons learned | lekcj*, doświadcz*, wniosk* | tanulság*, tapasztalat* | poučen*, skúsenost* | mācīb*, pieredz* | erfaring*, læring* | liçõ*, lição, experiência* | lecci*, experiencia* | lessen, les, ervaring*
pandemic | pandemi*, covid* | pandémi*, járvány*, covid* | pandémi*, covid* | pandēmij*, covid* | pandemi*, covid* | pandemia*, covid* | pandemia*, covid* | pandemie*, covid*
self-consumption prosumer | autokonsumpc*, prosument* | önfogyaszt* | vlastná spotreba, vlastnej spotreby, prosument* | pašpatēriņ* | egetforbrug* | autoconsumo* | autoconsumo* | eigen verbruik, zelfconsumptie*, prosument*
substation transformer | podstacj*, transformator* | alállomás*, transzformátor* | rozvodň*, trafostanic*, transformátor* | apakšstacij*, transformator* | transformerstation*, transformator* | subestaç*, transformador* | subestaci*, transformador* | onderstation*, transformator*
air-source air | powietrz* | levegő* | vzduch* | gaisa, gaiss | luft* | ar | aire | lucht*
wind | wiatr* | szél* | vetern*, vietor | vēj* | vind, vindmøll* | eólic* | eólic* | wind*
sewer heat exchanger | wymiennik* | hőcserél* | výmenník* | siltummain* | varmeveksl* | permutador* | intercambiador* | warmtewisselaar*, wisselaar*
hot water | ciepła woda, ciepłej wody | melegvíz*, használati meleg víz | teplá voda, teplej vody | karstā ūdens, karstais ūdens | varmt vand, brugsvand* | água quente | agua caliente | warm water, tapwater*
"""

# Function words: evidence of a language, never translated. English is the default reading of a query.
FUNCTION_WORDS: dict[str, str] = {
    "en": "the of and to in a an is are was were with for from on at as by this that what which how why who can "
          "does do not no their there be been have has should would could our your its it than then these "
          "those some most very into over under after before between during",
    "pl": "i w z ze na do się jak dla od po przez oraz czy co że jest są był była było być który która które "
          "żeby aby może nie tak tylko między przy bez lub albo dlaczego gdzie kiedy",
    "hu": "a az és egy hogy nem van volt meg is mint miért hol hogyan mit ami amely azt ez ezt vagy de "
          "csak már sem közötti helyett után alatt",
    "sk": "a v vo na do sa je sú bol bola bolo ako pre od po pri so zo alebo ktorý ktorá ktoré že aby "
          "prečo kde kedy nie len medzi namiesto",
    "lv": "un ir no uz ar par kā kas lai vai bet nav tas tā to ko kur kad kāpēc arī jau starp vietā",
    "da": "og i på til af med for er var det den de en et at som der hvordan hvorfor hvad hvor ikke kan "
          "fra eller men hinanden stedet egen",
    "pt": "o os as um uma de do da dos das em no na nos nas para por com que é são foi como porque onde "
          "ou mas não uns umas ao aos à",
    "es": "el la los las un una de del en para por con que es son fue como porque dónde qué o pero no "
          "al lo se entre lugar",
    "nl": "de het een en van in op te met voor door is zijn was werd hoe waarom wat waar niet of maar die "
          "dat om uit bij naar onderling plaats",
}

# Letters that only some of the languages use (after lower-casing).
MARK_LETTERS: dict[str, str] = {
    "pl": "ąćęłńśźż",
    "hu": "őű",
    "sk": "ľĺŕôäďť",
    "lv": "āēīūķļņģ",
    "da": "æøå",
    "pt": "ãõâê",
    "es": "ñ¿¡",
    "nl": "ĳ",
}

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English", "pl": "Polish", "hu": "Hungarian", "sk": "Slovak", "lv": "Latvian", "da": "Danish",
    "pt": "Portuguese", "es": "Spanish", "nl": "Dutch",
}
