// A PowerShell host for the specs that answers every ShouldProcess prompt with one fixed choice and
// records what it was asked, so -Confirm and $ConfirmPreference can be driven without a person.
// Compiled by the specs with Add-Type; no other project builds it.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;

namespace WinReflink.Specs
{
    public sealed class AnsweringHost : PSHost
    {
        private readonly AnsweringUserInterface _ui;

        public AnsweringHost(string answer) => _ui = new AnsweringUserInterface(answer);

        public IReadOnlyList<string> Prompts => _ui.Prompts;
        public override string Name => "WinReflink.Specs.AnsweringHost";
        public override Version Version { get; } = new Version(1, 0);
        public override Guid InstanceId { get; } = Guid.NewGuid();
        public override PSHostUserInterface UI => _ui;
        public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
        public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() => throw new NotSupportedException("no nested prompt in the specs' host");
        public override void ExitNestedPrompt() => throw new NotSupportedException("no nested prompt in the specs' host");
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
    }

    public sealed class AnsweringUserInterface : PSHostUserInterface
    {
        private readonly string _answer;

        public AnsweringUserInterface(string answer) => _answer = answer;

        public List<string> Prompts { get; } = new List<string>();
        public override PSHostRawUserInterface RawUI => null;

        /// <summary>The choice whose label (without its accelerator) is the answer; a missing one fails the prompt.</summary>
        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            Prompts.Add(message);
            for (int i = 0; i < choices.Count; i++)
            {
                if (choices[i].Label.Replace("&", "") == _answer)
                {
                    return i;
                }
            }
            throw new InvalidOperationException("no choice '" + _answer + "' in the prompt: " + message);
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
            throw new NotSupportedException("the specs' host answers choices only");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new NotSupportedException("the specs' host answers choices only");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
            PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new NotSupportedException("the specs' host answers choices only");
        public override string ReadLine() => throw new NotSupportedException("the specs' host answers choices only");
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException("the specs' host answers choices only");
        public override void Write(string value) { }
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { }
        public override void WriteLine(string value) { }
        public override void WriteErrorLine(string value) { }
        public override void WriteDebugLine(string message) { }
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
        public override void WriteVerboseLine(string message) { }
        public override void WriteWarningLine(string message) { }
    }
}
