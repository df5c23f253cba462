; Inno Setup 6 recipe for TwinEdge Desktop on Windows (x64).
;
; 1. Build the bundle on Windows:   bash scripts/build_bundle.sh   (Git Bash), or
;                                   .venv\Scripts\pyinstaller --noconfirm packaging\twinedge-desktop.spec
;    giving dist\twinedge-desktop\ with twinedge-desktop.exe (console, for the command line)
;    and "TwinEdge Desktop.exe" (windowed, for the Start menu).
; 2. Compile this script:            iscc packaging\windows\twinedge-desktop.iss
;    (optionally /DAppVersion=0.1.0 and /DSignTool=... to sign setup and uninstaller)
; 3. Output: dist\twinedge-desktop-<version>-setup.exe
;
; NOT built or run on the Linux machine this was written on (no Windows, no ISCC there):
; see packaging/README.md for exactly what was and was not tried.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "TwinEdge Desktop"
#define AppExe "TwinEdge Desktop.exe"
#define CliExe "twinedge-desktop.exe"
#define AppUserModelId "io.twinedge.Desktop"

[Setup]
; AppId identifies the product for upgrades and uninstall: never change it.
AppId={{E0F8F320-66DB-48F1-AA13-236B182E458F}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=TwinEdge
AppPublisherURL=https://api.twinedgeai.com
AppSupportURL=https://api.twinedgeai.com
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user install by default (no administrator needed); the dialog offers "all users".
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0.17763
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=twinedge-desktop-{#AppVersion}-setup
SetupIconFile=packaging\windows\twinedge-desktop.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
LicenseFile=LICENSE
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes
#ifdef SignTool
SignTool={#SignTool}
SignedUninstaller=yes
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the twinedge-desktop command to PATH (for terminals and scripts)"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
Source: "dist\twinedge-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "{#AppUserModelId}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; AppUserModelID: "{#AppUserModelId}"; Tasks: desktopicon

[Registry]
; PATH for the console executable: per-user installs change the user's PATH, all-users
; installs the machine's. Removed again on uninstall (see [Code]).
Root: HKA; Subkey: "{code:EnvironmentKey}"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallRun]
; Nothing: signed-in sessions stay in Windows Credential Manager until "Sign out" (or the
; user deletes the "twinedge-desktop" entries); settings stay in %LOCALAPPDATA%\twinedge-desktop.

[Code]
function EnvironmentKey(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function PathRoot: Integer;
begin
  if IsAdminInstallMode then
    Result := HKEY_LOCAL_MACHINE
  else
    Result := HKEY_CURRENT_USER;
end;

function NeedsAddPath(Dir: String): Boolean;
var
  Current: String;
begin
  if not RegQueryStringValue(PathRoot, EnvironmentKey(''), 'Path', Current) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';') = 0;
end;

procedure RemoveFromPath(Dir: String);
var
  Current: String;
  Index: Integer;
begin
  if not RegQueryStringValue(PathRoot, EnvironmentKey(''), 'Path', Current) then
    exit;
  Index := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';');
  if Index = 0 then
    exit;
  { Index points into ';' + Current: delete Dir and one separator next to it. }
  if Index > 1 then
    Delete(Current, Index - 1, Length(Dir) + 1)
  else
    Delete(Current, 1, Length(Dir) + 1);
  RegWriteExpandStringValue(PathRoot, EnvironmentKey(''), 'Path', Current);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
