package civicrmsim

// CiviCRM Standalone's HTML pages that APIv4 requests can get, as recorded
// from 6.17.2 (api4-6.17.2.jsonl); {BASE} is the site's scheme and host.

// fatalErrorPage is the page of an error that escapes CiviCRM's handlers
// (route-23, route-26, batch-7); {MESSAGE} is the error message.
const fatalErrorPage = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">

<head>
  <title>Error</title>
  <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
</head>
<body>
<style media="screen">
  body {
    background-color: #ffffcc;
  }
  .crm-fatal {
    display: inline-flex;
    gap: 1rem;
    padding: 1rem;
    font-size: 1.25rem;
    font-family: sans-serif;
    background-color: #ffffcc;
  }
  .crm-fatal .crm-fatal-exclamation {
    width: 1.75rem;
    height: 1.75rem;
    margin-top: 0.1rem;
    fill: darkred;
  }
  .crm-fatal .crm-fatal-messages {
    flex-direction: column;
    display: flex;
    align-items: flex-start;
    gap: 1rem;
  }
  .crm-fatal a.btn {
    display: flex;
    align-items: center;
    gap: 0.5rem;

    background-color: darkslategray;
    color: white;
    fill: white;
    text-decoration: none;
    padding: 0.5rem;
    border-radius: 0.5rem;

    font-size: 1rem;
  }
  .crm-fatal a.btn svg {
    width: 1rem;
    height: 1rem;
  }
  .crm-fatal a.btn:hover {
    background-color: black;
  }
</style>
<div id="crm-container" class="crm-container" lang="en" xml:lang="en">
  <div class="crm-fatal">
    <svg class="crm-fatal-exclamation" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 640"><!--!Font Awesome Free v7.1.0 by @fontawesome - https://fontawesome.com License - https://fontawesome.com/license/free Copyright 2026 Fonticons, Inc.--><path d="M320 64C334.7 64 348.2 72.1 355.2 85L571.2 485C577.9 497.4 577.6 512.4 570.4 524.5C563.2 536.6 550.1 544 536 544L104 544C89.9 544 76.8 536.6 69.6 524.5C62.4 512.4 62.1 497.4 68.8 485L284.8 85C291.8 72.1 305.3 64 320 64zM320 416C302.3 416 288 430.3 288 448C288 465.7 302.3 480 320 480C337.7 480 352 465.7 352 448C352 430.3 337.7 416 320 416zM320 224C301.8 224 287.3 239.5 288.6 257.7L296 361.7C296.9 374.2 307.4 384 319.9 384C332.5 384 342.9 374.3 343.8 361.7L351.2 257.7C352.5 239.5 338.1 224 319.8 224z"/></svg>

    <div class="crm-fatal-messages">
      <div class="crm-section crm-error-message">
        {MESSAGE}
      </div>
                  <div class="crm-section crm-return-to-home">
        <a class="btn" href="{BASE}/" title="Main Menu">
          <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 640"><!--!Font Awesome Free v7.1.0 by @fontawesome - https://fontawesome.com License - https://fontawesome.com/license/free Copyright 2026 Fonticons, Inc.--><path d="M341.8 72.6C329.5 61.2 310.5 61.2 298.3 72.6L74.3 280.6C64.7 289.6 61.5 303.5 66.3 315.7C71.1 327.9 82.8 336 96 336L112 336L112 512C112 547.3 140.7 576 176 576L464 576C499.3 576 528 547.3 528 512L528 336L544 336C557.2 336 569 327.9 573.8 315.7C578.6 303.5 575.4 289.5 565.8 280.6L341.8 72.6zM304 384L336 384C362.5 384 384 405.5 384 432L384 528L256 528L256 432C256 405.5 277.5 384 304 384z"/></svg>
          Return home        </a>
      </div>
    </div>
  </div>
</div> </body>
</html>
`

// homeDeniedPage is the CiviCRM home page an anonymous visitor gets
// (403, with the login form; route-9).
const homeDeniedPage = `<!DOCTYPE html >
<html lang="en" class="crm-standalone ">
 <head>
  <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1.0" />

  <script type="text/javascript">
(function(vars) {
            if (window.CRM) CRM.$.extend(true, CRM, vars); else window.CRM = vars;
            })({"config":{"isFrontend":false,"includeWildCardInName":1,"entityRef":{"contactCreate":false},"wysisygScriptLocation":"/core/ext/ckeditor4/js/crm.ckeditor.js","CKEditorCustomConfig":{"default":"{BASE}/public/persist/crm-ckeditor-default.js?r=mIvkJen_US"}},"vars":{"standalone":{"mfa_remember":""}},"permissions":[],"angular":{"modules":["api4","crmLogin","crmResource","crmUi","crmUtil"],"requires":{"api4":[],"crmLogin":["crmUi","crmUtil","api4"],"crmUi":["crmResource"],"crmUtil":[]},"cacheCode":"mIvkJen_US","bundleUrl":"{BASE}/public/media/dyn/angular-modules.6d46854d24b294ca57dedd1452212dac.json"}})
</script>
<script type="text/javascript" src="{BASE}/core/bower_components/jquery/dist/jquery.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/bower_components/jquery-ui/jquery-ui.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/bower_components/lodash-compat/lodash.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/packages/jquery/plugins/jquery.mousewheel.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/bower_components/select2/select2.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/packages/jquery/plugins/jquery.form.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/packages/jquery/plugins/jquery.timeentry.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/packages/jquery/plugins/jquery.blockUI.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/bower_components/jquery-validation/dist/jquery.validate.min.js">
</script>
<script type="text/javascript" src="{BASE}/core/bower_components/jquery-validation/dist/additional-methods.min.js">
</script>
<script type="text/javascript" src="/core/js/Common.js?r=mIvkJen_US">
</script>
<script type="text/javascript" src="/core/js/crm.datepicker.js?r=mIvkJen_US">
</script>
<script type="text/javascript" src="/core/js/crm.ajax.js?r=mIvkJen_US">
</script>
<script type="text/javascript" src="/core/js/wysiwyg/crm.wysiwyg.js?r=mIvkJen_US">
</script>
<script type="text/javascript" src="{BASE}/core/bower_components/datatables/media/js/jquery.dataTables.min.js">
</script>
<script type="text/javascript" src="{BASE}/public/media/dyn/crm-l10n.1da99b2088b6cf861f6f1c2bbadfe631.js">
</script>
<link href="/core/ext/riverlea/core/css/crm-i.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/css/crm-i-v4-shims.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="{BASE}/core/bower_components/datatables/media/css/jquery.dataTables.min.css" rel="stylesheet" type="text/css"/>
<link href="{BASE}/core/bower_components/font-awesome/css/all.min.css" rel="stylesheet" type="text/css"/>
<link href="{BASE}/core/bower_components/font-awesome/css/v4-font-face.min.css" rel="stylesheet" type="text/css"/>
<link href="{BASE}/core/bower_components/jquery-ui/themes/smoothness/jquery-ui.min.css" rel="stylesheet" type="text/css"/>
<link href="{BASE}/core/bower_components/select2/select2.min.css" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/_variables.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/_fonts.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/_base.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/_cms.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_accordion.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_alerts.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_buttons.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_form.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_icons.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_nav.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_tabs.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_dropdowns.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_tables.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_dialogs.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_page.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_components.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/components/_front.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/_fixes.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/css/civicrm.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<script type="text/javascript" src="{BASE}/core/packages/jquery/plugins/jquery.notify.min.js?r=mIvkJen_US">
</script>
  <link rel="icon" href="/core/i/logo_lg.png" type="image/png"><script type="text/javascript" src="/core/ext/greenwich/extern/bootstrap3/assets/javascripts/bootstrap.min.js?r=mIvkJen_US">
</script>
<script type="text/javascript" src="/core/ext/greenwich/js/noConflict.js?r=mIvkJen_US">
</script>
<link href="/core/ext/riverlea/core/css/_bootstrap.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/standaloneusers/css/standalone.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<script type="text/javascript" src="/core/bower_components/angular/angular.min.js?r=mIvkJen_US">
</script>
<link href="{BASE}/public/media/dyn/river.d0a12b6c5a7d784b52bc31b9449d4fa4.css" rel="stylesheet" type="text/css"/>
<script type="text/javascript" src="{BASE}/public/media/dyn/angular-modules.bf884258c2d1970c2931acb38dcb67eb.js">
</script>
<script type="text/javascript" src="/core/js/crm-angularjs-loader.js?r=mIvkJen_US">
</script>
<link href="/core/ext/standaloneusers/ang/crmLogin/crmLogin.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/ang/crmUI.css?r=mIvkJen_US" rel="stylesheet" type="text/css"/>
<script type="text/javascript" src="/core/js/noconflict.js?r=mIvkJen_US">
</script>

  <title>Log In</title>
</head>
<body>
  
  <div id="crm-container" class="crm-container standalone-page-padding " lang="en" xml:lang="en">
    
    
        
    <div class="clear"></div>

    <div id="crm-main-content-wrapper">
                              <div class="messages status alert" data-options='null'>
    <i role="img" aria-hidden="true" class="crm-i fa-info-circle"></i>    <span class="msg-title">Please sign in.</span>
    <span class="msg-text">You need to be logged in to access this page.</span>
  </div>
                          
<div class="standalone-auth-form">
  <div class="standalone-auth-box">
      <img class="crm-logo" src="/core/i/logo.svg" alt="Logo for CiviCRM, with intersecting blue and green triangles">
      <crm-angular-js modules="crmLogin">
        <crm-login></crm-login>
      </crm-angular-js>
  </div>
</div>

<div id="crm-notification-container" role="alert" aria-live="assertive" aria-atomic="true" style="display:none">
  <div id="crm-notification-alert" class="#{type}">
    <div class="icon ui-notify-close" title="close"> </div>
    <a class="ui-notify-cross ui-notify-close" href="#" title="close">x</a>
    <h1>#{title}</h1>
    <div class="notify-content">#{text}</div>
  </div>
</div>

                  </div>

                            
        <!-- STANDALONE ERRORS PLACEHOLDER -->

  </div>
</body>
</html>
`
