package civicrmsim

// accessDeniedPage is CiviCRM Standalone's answer to an unauthenticated
// request for a protected route, as recorded from 6.17.2; {BASE} is the
// site's scheme and host.
const accessDeniedPage = `<!DOCTYPE html >
<html lang="en" class="crm-standalone ">
 <head>
  <meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1.0" />

  <script type="text/javascript" src="{BASE}/core/packages/jquery/plugins/jquery.notify.min.js?r=geoxpen_US">
</script>
  <script type="text/javascript" src="/core/bower_components/angular/angular.min.js?r=geoxpen_US">
</script>
<script type="text/javascript" src="{BASE}/public/media/dyn/angular-modules.9c42ec1e523bb8e3c30ac2f8a3acf9eb.js">
</script>
<script type="text/javascript" src="/core/js/crm-angularjs-loader.js?r=geoxpen_US">
</script>
<link href="/core/ext/standaloneusers/ang/crmLogin/crmLogin.css?r=geoxpen_US" rel="stylesheet" type="text/css"/>
<link href="/core/ext/riverlea/core/ang/crmUI.css?r=geoxpen_US" rel="stylesheet" type="text/css"/>

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
